import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, ValidateBy } from 'class-validator';
import type { StripeMode } from '#libs/config';
import { Issue, IsIntegerBetween, IsStorableText, issue } from '#libs/http-errors';
import {
  ALLOWED_PRICE_IDS_MAX,
  ALLOWED_RETURN_URL_ORIGINS_MAX,
  credentialProblem,
  originProblem,
  PAST_DUE_GRACE_DAYS_MAX,
  priceIdProblem,
  TRIAL_PERIOD_DAYS_MAX,
  type CredentialField,
  type MaskedStripeConfig,
  type StripeConfigHistoryPage,
} from '#libs/projects';

// class-validator runs a property's rules bottom-up and reports the first failure: the type check is listed last.

/** A Stripe key or id for one mode, judged by its prefix; "" (clear) is always accepted. Never echoes the value. */
function IsStripeCredential(field: CredentialField, mode: StripeMode, name: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStripeCredential',
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' || value === '' || credentialProblem(field, mode, value) === undefined,
        defaultMessage: (args) =>
          `Value error, ${name} ${credentialProblem(field, mode, String(args?.value)) ?? 'is not valid'}`,
      },
    },
    { context: { type: 'value_error' } },
  );
}

function AreOrigins(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'areOrigins',
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((item) => originProblem(item) === undefined),
        defaultMessage: (args) => {
          const items = Array.isArray(args?.value) ? (args.value as unknown[]) : [];
          const index = items.findIndex((item) => originProblem(item) !== undefined);
          return `Value error, allowed_return_url_origins[${index}] ${originProblem(items[index]) ?? 'is not valid'}`;
        },
      },
    },
    { context: { type: 'value_error' } },
  );
}

function ArePriceIds(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'arePriceIds',
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((item) => priceIdProblem(item) === undefined),
        defaultMessage: (args) => {
          const items = Array.isArray(args?.value) ? (args.value as unknown[]) : [];
          const index = items.findIndex((item) => priceIdProblem(item) !== undefined);
          return `Value error, allowed_price_ids[${index}] ${priceIdProblem(items[index]) ?? 'is not valid'}`;
        },
      },
    },
    { context: { type: 'value_error' } },
  );
}

const credential = (description: string, example: string) =>
  ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 255, description, example });

/**
 * Request to create/update Stripe configuration: absent or null leaves a field unchanged, "" (or []) clears it;
 * trial_period_days, a number, is cleared with null.
 */
export class StripeConfigRequest {
  @credential('Test secret key (sk_test_... or restricted rk_test_...).', 'sk_test_51AbCdEf')
  @IsStripeCredential('secretKey', 'test', 'test_secret_key')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  test_secret_key?: string | null;

  @credential('Test publishable key (pk_test_...).', 'pk_test_51AbCdEf')
  @IsStripeCredential('publishableKey', 'test', 'test_publishable_key')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  test_publishable_key?: string | null;

  @credential('Test webhook signing secret (whsec_...).', 'whsec_AbCdEf')
  @IsStripeCredential('webhookSecret', 'test', 'test_webhook_secret')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  test_webhook_secret?: string | null;

  @credential('Live secret key (sk_live_... or restricted rk_live_...).', 'sk_live_51AbCdEf')
  @IsStripeCredential('secretKey', 'live', 'live_secret_key')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  live_secret_key?: string | null;

  @credential('Live publishable key (pk_live_...).', 'pk_live_51AbCdEf')
  @IsStripeCredential('publishableKey', 'live', 'live_publishable_key')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  live_publishable_key?: string | null;

  @credential('Live webhook signing secret (whsec_...).', 'whsec_AbCdEf')
  @IsStripeCredential('webhookSecret', 'live', 'live_webhook_secret')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  live_webhook_secret?: string | null;

  @credential('Extension: Stripe Customer Portal configuration for test mode (bpc_...).', 'bpc_1AbCdEf')
  @IsStripeCredential('portalConfigurationId', 'test', 'test_portal_configuration_id')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  test_portal_configuration_id?: string | null;

  @credential('Extension: Stripe Customer Portal configuration for live mode (bpc_...).', 'bpc_1AbCdEf')
  @IsStripeCredential('portalConfigurationId', 'live', 'live_portal_configuration_id')
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  live_portal_configuration_id?: string | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: 50,
    description:
      'Extension: origins (scheme://host[:port]) a customer portal return_url may point at; [] allows any. ' +
      'An open-redirect guard for the portal endpoint.',
    example: ['https://app.example.com'],
  })
  @AreOrigins()
  @ArrayMaxSize(
    ALLOWED_RETURN_URL_ORIGINS_MAX,
    issue({ type: 'too_long', msg: `List should have at most ${ALLOWED_RETURN_URL_ORIGINS_MAX} items` }),
  )
  @IsStorableText({ each: true })
  @IsArray(issue(Issue.listType))
  @IsOptional()
  allowed_return_url_origins?: string[] | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: 100,
    description:
      'Extension: the Stripe prices (price_...) end users may check out; [] allows any price of the account. ' +
      'Without it any signed-in end user can buy any price of the Stripe account.',
    example: ['price_1PlanMonthly', 'price_1PlanYearly'],
  })
  @ArePriceIds()
  @ArrayMaxSize(
    ALLOWED_PRICE_IDS_MAX,
    issue({ type: 'too_long', msg: `List should have at most ${ALLOWED_PRICE_IDS_MAX} items` }),
  )
  @IsStorableText({ each: true })
  @IsArray(issue(Issue.listType))
  @IsOptional()
  allowed_price_ids?: string[] | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: TRIAL_PERIOD_DAYS_MAX,
    description:
      "Extension: days of free trial on an end user's first subscription in the project and mode (never again " +
      'after); 0 means no trial. Unlike the other fields, null clears it.',
    example: 14,
  })
  @IsIntegerBetween(0, TRIAL_PERIOD_DAYS_MAX)
  @IsOptional()
  trial_period_days?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: PAST_DUE_GRACE_DAYS_MAX,
    description:
      "Extension: days a past_due subscription (a renewal payment failed, Stripe still retrying) keeps its user's " +
      'access, counted from when it became past_due: what `is_entitled` of GET .../my-subscription says. 0 (what a ' +
      'new configuration has) means none; absent or null keeps the value.',
    example: 3,
  })
  @IsIntegerBetween(0, PAST_DUE_GRACE_DAYS_MAX)
  @IsOptional()
  past_due_grace_days?: number | null;
}

// The reference marks these optional (always present here, null when unset); `required: false` keeps the contract.
const masked = (description: string, example: string) =>
  ApiProperty({ type: 'string', nullable: true, required: false, description, example });
const timestamp = (description: string) =>
  ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    required: false,
    description,
    example: '2026-11-25T10:00:00.000Z',
  });

/** Stripe configuration response with masked credentials. */
export class StripeConfigResponse {
  @ApiProperty({ format: 'uuid', example: '2b1c6a86-8c43-4a8e-9d0f-3f3c2b1a0e11' })
  id: string;

  @ApiProperty({ format: 'uuid', example: '5d1f3f9e-7a0b-4c55-8f3e-1c2d3e4f5a6b' })
  project_id: string;

  @ApiProperty({ description: 'False after DELETE; the portal then answers 404 until the next PUT.', example: true })
  is_active: boolean;

  @ApiProperty({ example: true })
  has_test_credentials: boolean;

  @ApiProperty({ example: false })
  has_live_credentials: boolean;

  @masked('Masked test secret key.', 'sk_test_...aBcD')
  test_secret_key_masked: string | null;

  @masked('Masked test publishable key.', 'pk_test_...aBcD')
  test_publishable_key_masked: string | null;

  @masked('Masked test webhook secret.', 'whsec_...aBcD')
  test_webhook_secret_masked: string | null;

  @masked('Masked live secret key.', 'sk_live_...aBcD')
  live_secret_key_masked: string | null;

  @masked('Masked live publishable key.', 'pk_live_...aBcD')
  live_publishable_key_masked: string | null;

  @masked('Masked live webhook secret.', 'whsec_...aBcD')
  live_webhook_secret_masked: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    description: 'Extension: test mode portal configuration.',
    example: 'bpc_1AbCdEf',
  })
  test_portal_configuration_id: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    description: 'Extension: live mode portal configuration.',
    example: null,
  })
  live_portal_configuration_id: string | null;

  @ApiProperty({
    type: [String],
    required: false,
    description: 'Extension: allowed return_url origins; [] allows any.',
    example: [],
  })
  allowed_return_url_origins: string[];

  @ApiProperty({
    type: [String],
    required: false,
    description: 'Extension: the prices end users may check out; [] allows any.',
    example: [],
  })
  allowed_price_ids: string[];

  @ApiProperty({
    type: 'integer',
    nullable: true,
    required: false,
    description: "Extension: free trial days on an end user's first subscription; null or 0: no trial.",
    example: null,
  })
  trial_period_days: number | null;

  @ApiProperty({
    type: 'integer',
    required: false,
    description: 'Extension: days a past_due subscription still entitles its user; 0: none.',
    example: 0,
  })
  past_due_grace_days: number;

  @timestamp('When the test credentials last changed.')
  test_configured_at: string | null;

  @timestamp('When the live credentials last changed.')
  live_configured_at: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-25T10:00:00.000Z' })
  created_at: string;

  @timestamp('Last change of any kind.')
  updated_at: string | null;
}

export class StripeConfigChangeResponse {
  @ApiProperty({ format: 'uuid', example: '0f0e0d0c-0b0a-4090-8070-605040302010' })
  id: string;

  @ApiProperty({
    enum: ['developer', 'operator'],
    description: "Who made the change: the project's developer over this API, or an operator with the CLI.",
    example: 'developer',
  })
  actor_type: 'developer' | 'operator';

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    nullable: true,
    description: 'The developer who made the change; null for an operator.',
    example: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  })
  actor_id: string | null;

  @ApiProperty({ enum: ['update', 'deactivate'], example: 'update' })
  action: string;

  @ApiProperty({
    type: [String],
    description: 'Which fields changed (never their values).',
    example: ['test_secret_key'],
  })
  fields: string[];

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-25T10:00:00.000Z' })
  created_at: string;
}

/** One page of a configuration's history, newest first. */
export class StripeConfigHistoryResponse {
  @ApiProperty({ type: [StripeConfigChangeResponse], description: 'Newest first.' })
  changes: StripeConfigChangeResponse[];

  @ApiProperty({ type: 'integer', description: 'How many changes the configuration has in all.', example: 1 })
  total: number;

  @ApiProperty({ type: 'integer', example: 1, title: 'Page' })
  page: number;

  @ApiProperty({ type: 'integer', example: 50, title: 'Page Size' })
  page_size: number;
}

export function toStripeConfigResponse(config: MaskedStripeConfig): StripeConfigResponse {
  return {
    id: config.id,
    project_id: config.projectId,
    is_active: config.isActive,
    has_test_credentials: config.masked.test_secret_key !== null,
    has_live_credentials: config.masked.live_secret_key !== null,
    test_secret_key_masked: config.masked.test_secret_key,
    test_publishable_key_masked: config.masked.test_publishable_key,
    test_webhook_secret_masked: config.masked.test_webhook_secret,
    live_secret_key_masked: config.masked.live_secret_key,
    live_publishable_key_masked: config.masked.live_publishable_key,
    live_webhook_secret_masked: config.masked.live_webhook_secret,
    test_portal_configuration_id: config.testPortalConfigurationId,
    live_portal_configuration_id: config.livePortalConfigurationId,
    allowed_return_url_origins: config.allowedReturnUrlOrigins,
    allowed_price_ids: config.allowedPriceIds,
    trial_period_days: config.trialPeriodDays,
    past_due_grace_days: config.pastDueGraceDays,
    test_configured_at: config.testConfiguredAt?.toISOString() ?? null,
    live_configured_at: config.liveConfiguredAt?.toISOString() ?? null,
    created_at: config.createdAt.toISOString(),
    updated_at: config.updatedAt.toISOString(),
  };
}

export function toStripeConfigHistoryResponse(
  { changes, total }: StripeConfigHistoryPage,
  { page, pageSize }: { page: number; pageSize: number },
): StripeConfigHistoryResponse {
  return {
    changes: changes.map((change) => ({
      id: change.id,
      actor_type: change.actorType,
      actor_id: change.actorId,
      action: change.action,
      fields: change.fields,
      created_at: change.createdAt.toISOString(),
    })),
    total,
    page,
    page_size: pageSize,
  };
}
