import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import type { CheckoutMode } from '#libs/billing-records';
import {
  Issue,
  IsIntegerBetween,
  IsPresent,
  IsRedirectUrl,
  IsStorableText,
  isStorableText,
  issue,
  REDIRECT_URL_MAX_LENGTH,
} from '#libs/http-errors';

const CHECKOUT_MODE_PATTERN = '^(subscription|payment)$';

export const PRICE_ID_MAX_LENGTH = 255;
export const QUANTITY_MAX = 10_000;

/** Metadata limits: Stripe allows 50 keys, the service adds its own two, the caller gets 20. */
export const METADATA_MAX_KEYS = 20;
export const METADATA_KEY_MAX_LENGTH = 40;
export const METADATA_VALUE_MAX_LENGTH = 500;
/** The service's own metadata keys: they tell webhooks whose checkout it was, so a caller may not set them. */
export const RESERVED_METADATA_KEYS = ['project_id', 'user_id'] as const;

export type MetadataValue = string | number | boolean;

/** Why `metadata` (a plain object) cannot be sent to Stripe, or undefined when it can. Never repeats a key or value. */
export function metadataProblem(metadata: Record<string, unknown>): string | undefined {
  const entries = Object.entries(metadata);
  if (entries.length > METADATA_MAX_KEYS) return `metadata may have at most ${METADATA_MAX_KEYS} keys`;
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > METADATA_KEY_MAX_LENGTH) {
      return `metadata keys must be 1 to ${METADATA_KEY_MAX_LENGTH} characters`;
    }
    // Stripe reads brackets as nesting in its form encoding and refuses them in metadata keys.
    if (key.includes('[') || key.includes(']')) return 'metadata keys must not contain square brackets';
    if ((RESERVED_METADATA_KEYS as readonly string[]).includes(key)) {
      return `metadata keys ${RESERVED_METADATA_KEYS.join(' and ')} are reserved for the service`;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return 'metadata values must be strings, numbers or booleans';
    }
    if (String(value).length > METADATA_VALUE_MAX_LENGTH) {
      return `metadata values must be at most ${METADATA_VALUE_MAX_LENGTH} characters`;
    }
    // Not encodable for Stripe (a lone surrogate) or refused by it (NUL).
    if (!isStorableText(key) || !isStorableText(value)) {
      return 'metadata must not contain NUL characters or unpaired surrogates';
    }
  }
  return undefined;
}

function IsCheckoutMetadata(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCheckoutMetadata',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          metadataProblem(value as Record<string, unknown>) === undefined,
        defaultMessage: (args) =>
          `Value error, ${metadataProblem((args?.value ?? {}) as Record<string, unknown>) ?? 'invalid metadata'}`,
      },
    },
    { context: { type: 'value_error' } },
  );
}

// class-validator runs a property's rules bottom-up and reports the first failure: presence or type is listed last.
// Defaults are the initialisers: class-transformer builds the instance with `new`, then copies what the body has.

/** Request to create a Stripe checkout session (the reference's StripeCheckoutRequest). */
export class CheckoutSessionRequest {
  @ApiProperty({
    description:
      "A price of the project's Stripe account (the mode's), recurring for `subscription`, one-time for `payment`; " +
      "one of the project's allowed_price_ids when it lists any.",
    minLength: 1,
    maxLength: PRICE_ID_MAX_LENGTH,
    example: 'price_1ABC123def456',
    title: 'Price Id',
  })
  @Matches(/^\S+$/, issue(Issue.valueError('price_id must not contain whitespace')))
  @MaxLength(PRICE_ID_MAX_LENGTH, issue(Issue.stringTooLong(PRICE_ID_MAX_LENGTH)))
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  price_id: string;

  @ApiProperty({
    description:
      'Absolute http(s) URL Stripe sends the user to after paying (no credentials, at most 2048 characters), sent ' +
      "unchanged: include `{CHECKOUT_SESSION_ID}` to receive the session id. Within the project's " +
      'allowed_return_url_origins when it lists any.',
    minLength: 1,
    maxLength: REDIRECT_URL_MAX_LENGTH,
    example: 'https://myapp.com/success?session_id={CHECKOUT_SESSION_ID}',
    title: 'Success Url',
  })
  @IsRedirectUrl('success_url')
  @MaxLength(REDIRECT_URL_MAX_LENGTH, issue(Issue.stringTooLong(REDIRECT_URL_MAX_LENGTH)))
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  success_url: string;

  @ApiProperty({
    description: 'Absolute http(s) URL Stripe sends the user to when they leave without paying (same rules).',
    minLength: 1,
    maxLength: REDIRECT_URL_MAX_LENGTH,
    example: 'https://myapp.com/pricing',
    title: 'Cancel Url',
  })
  @IsRedirectUrl('cancel_url')
  @MaxLength(REDIRECT_URL_MAX_LENGTH, issue(Issue.stringTooLong(REDIRECT_URL_MAX_LENGTH)))
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  cancel_url: string;

  @ApiPropertyOptional({
    type: 'string',
    pattern: CHECKOUT_MODE_PATTERN,
    default: 'subscription',
    description: '`subscription` (a recurring price) or `payment` (one-time).',
    example: 'subscription',
    title: 'Mode',
  })
  @Matches(new RegExp(CHECKOUT_MODE_PATTERN), issue(Issue.stringPatternMismatch(CHECKOUT_MODE_PATTERN)))
  @IsString(issue(Issue.stringType))
  mode: CheckoutMode = 'subscription';

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: QUANTITY_MAX,
    default: 1,
    description: 'How many of the price (seats, units).',
    example: 1,
    title: 'Quantity',
  })
  @IsIntegerBetween(1, QUANTITY_MAX)
  quantity: number = 1;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    nullable: true,
    description:
      `Copied to the session and to its subscription or payment: at most ${METADATA_MAX_KEYS} keys of 1 to ` +
      `${METADATA_KEY_MAX_LENGTH} characters (no square brackets), string, number or boolean values of at most ` +
      `${METADATA_VALUE_MAX_LENGTH} characters. project_id and user_id are the service's own keys and are refused.`,
    example: { campaign: 'spring', seats_requested: 3 },
    title: 'Metadata',
  })
  @IsCheckoutMetadata()
  @IsObject(issue(Issue.dictType))
  @IsOptional()
  metadata?: Record<string, MetadataValue> | null;

  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    description:
      'If true, allows checkout even if user has active subscription (e.g. a second, different plan). Without it a ' +
      'user with a subscription that has not ended gets 400 and is pointed to the customer portal.',
    example: false,
    title: 'Allow Existing Subscription',
  })
  @IsBoolean(issue(Issue.boolType))
  allow_existing_subscription: boolean = false;
}

/** Stripe checkout session response (the reference's StripeCheckoutResponse). */
export class CheckoutSessionResponse {
  @ApiProperty({
    description: 'The Stripe Checkout Session id (cs_test_... or cs_live_...).',
    example: 'cs_test_a1b2c3d4e5f6g7h8i9j0',
    title: 'Session Id',
  })
  session_id: string;

  @ApiProperty({
    description:
      "Stripe's hosted checkout page for the session: redirect the user there. A payment link: do not log or store it.",
    example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3d4e5f6g7h8i9j0',
    title: 'Checkout Url',
  })
  checkout_url: string;
}
