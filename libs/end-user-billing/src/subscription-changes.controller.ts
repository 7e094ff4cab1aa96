import { applyDecorators, Body, Controller, Header, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, type EndUserPrincipal } from '#libs/auth';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import {
  ApiBodyLimit,
  ApiDatabaseUnavailable,
  ApiTestModeQuery,
  ErrorDetail,
  HTTPValidationError,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_REUSED_DETAIL,
  IdempotencyKeyPipe,
  RequestHeader,
  StripeModePipe,
} from '#libs/http-errors';
import { STORED_SECRETS_UNREADABLE } from '#libs/projects';
import { RATE_LIMIT_HEADERS, RateLimitedEndUserAuth } from '#libs/rate-limit';
import { BULKHEAD_FULL_DETAIL, ApiStripeUnavailable } from '#libs/stripe-http';
import {
  CancelSubscriptionRequest,
  CancelSubscriptionResponse,
  ReactivateSubscriptionResponse,
  SubscriptionChangePreviewResponse,
  UpdateSubscriptionRequest,
  UpdateSubscriptionResponse,
} from './subscription-changes.dto.js';
import {
  NO_CANCELLATION_SCHEDULED,
  NO_SUBSCRIPTION_TO_CANCEL,
  NO_SUBSCRIPTION_TO_UPDATE,
  PRICE_REFUSALS,
  SubscriptionChangesService,
} from './subscription-changes.service.js';

const TEST_MODE = {
  meaning: 'Use test mode credentials',
  whenFalse: 'Set to false for production.',
  schemaDescription: 'Use test mode',
};

/** The Idempotency-Key header of a change: applied once, answered the same on a retry. */
function ApiIdempotencyKey(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
      description:
        'Makes a retry safe: a retry with the same key and parameters within 24 hours gets the first answer again ' +
        '(even though the subscription has changed since), and the key (scoped to the operation, project, user and ' +
        "mode) is Stripe's idempotency key, so a retry after a failure or a timeout is applied at most once. Reusing " +
        'a key with other parameters is a 409.',
    }),
    ApiConflictResponse({
      type: ErrorDetail,
      description: 'The Idempotency-Key was used before with different parameters.',
      example: { detail: IDEMPOTENCY_KEY_REUSED_DETAIL },
    }),
  );
}

/** What every change can answer besides its success: 404s, 422, Stripe's refusals of the project and outages. */
function ApiChangeFailures(noSubscription: string, invalid: string): MethodDecorator {
  return applyDecorators(
    ApiNotFoundResponse({
      type: ErrorDetail,
      description:
        'The project does not exist or has no active Stripe keys for the mode, or the user has no subscription ' +
        'that has not ended (also when Stripe says it has just ended).',
      examples: {
        project: { summary: 'Project not configured', value: { detail: PROJECT_NOT_CONFIGURED } },
        subscription: { summary: 'No subscription', value: { detail: noSubscription } },
      },
    }),
    ApiUnprocessableEntityResponse({
      type: HTTPValidationError,
      description: invalid,
      example: {
        detail: [
          {
            loc: ['query', 'test_mode'],
            msg: 'Input should be a valid boolean, unable to interpret input',
            type: 'bool_parsing',
          },
        ],
      },
    }),
    ApiBadGatewayResponse({
      type: ErrorDetail,
      description: "Stripe refused the project's configuration (bad or revoked key, missing permission).",
      example: {
        detail:
          "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
      },
    }),
    ApiStripeUnavailable(
      'Stripe or the database is briefly unavailable (Stripe slower than the time budget, rate limiting, failing ' +
        'or unreachable, or still running a request with the same idempotency key), or the project already has as ' +
        "many Stripe requests in flight as it may; retry after the Retry-After header. Without Retry-After: the project's " +
        "stored key cannot be decrypted with the service's SECRETS_ENCRYPTION_KEY, an operator's fix.",
      {
        busy: { summary: 'Too many Stripe requests in flight', value: { detail: BULKHEAD_FULL_DETAIL } },
        secrets: { summary: 'Stored key unreadable', value: { detail: STORED_SECRETS_UNREADABLE } },
      },
    ),
  );
}

/** The 400s of a plan change: each price rule its own detail. */
function ApiPriceRefusals(): MethodDecorator {
  return ApiBadRequestResponse({
    type: ErrorDetail,
    description:
      "new_price_id cannot replace the subscription's price: outside the project's allowed_price_ids, already the " +
      "subscription's price, unknown in the mode's Stripe account, inactive, one-time, or in another currency.",
    examples: {
      notAllowed: { summary: 'Not an allowed price', value: { detail: PRICE_REFUSALS.notAllowed } },
      current: { summary: 'The current price', value: { detail: PRICE_REFUSALS.current } },
      unknown: { summary: 'Unknown price', value: { detail: PRICE_REFUSALS.unknown('test') } },
      inactive: { summary: 'Inactive price', value: { detail: PRICE_REFUSALS.inactive } },
      oneTime: { summary: 'One-time price', value: { detail: PRICE_REFUSALS.oneTime } },
      currency: { summary: 'Another currency', value: { detail: PRICE_REFUSALS.currency('eur', 'usd') } },
    },
  });
}

const UPDATE_INVALID =
  'Invalid test_mode, Idempotency-Key or body (new_price_id missing, empty or not text; proration_behavior not ' +
  'create_prorations, none or always_invoice).';

@ApiTags('Stripe Subscriptions')
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe', version: '1' })
export class SubscriptionChangesController {
  constructor(private readonly changes: SubscriptionChangesService) {}

  @Post('cancel-subscription')
  @ApiBodyLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'cancelSubscription',
    summary: 'Cancel Subscription',
    description:
      "Cancel the user's current subscription (the one GET .../my-subscription shows) through Stripe: at the end " +
      'of the current period (the default; access until then, and asking again answers the same) or at once. ' +
      "The local record is written from Stripe's answer before this answers. Rate limited like the customer portal.",
  })
  @ApiTestModeQuery(TEST_MODE)
  @ApiIdempotencyKey()
  @ApiBody({ type: CancelSubscriptionRequest })
  @ApiOkResponse({
    type: CancelSubscriptionResponse,
    description: 'Canceled, or scheduled to cancel at period end.',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiChangeFailures(
    NO_SUBSCRIPTION_TO_CANCEL,
    'Invalid test_mode, Idempotency-Key or body (cancel_immediately not a boolean).',
  )
  async cancel(
    @CurrentPrincipal() user: EndUserPrincipal,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @RequestHeader('idempotency-key', IdempotencyKeyPipe) idempotencyKey: string | undefined,
    @Body() request: CancelSubscriptionRequest,
  ): Promise<CancelSubscriptionResponse> {
    return this.changes.cancel(user, mode, request, idempotencyKey);
  }

  @Post('update-subscription')
  @ApiBodyLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'updateSubscription',
    summary: 'Update Subscription Plan',
    description:
      "Move the user's current subscription to another price (upgrade or downgrade) through Stripe, keeping its " +
      'quantity; prorated by default. The price must be an active recurring price of the account in the ' +
      "subscription's currency, other than the current one, and among the project's allowed_price_ids when it " +
      "lists any. The local record is written from Stripe's answer before this answers.",
  })
  @ApiTestModeQuery(TEST_MODE)
  @ApiIdempotencyKey()
  @ApiBody({ type: UpdateSubscriptionRequest })
  @ApiOkResponse({ type: UpdateSubscriptionResponse, description: 'The plan changed.', headers: RATE_LIMIT_HEADERS })
  @ApiPriceRefusals()
  @ApiChangeFailures(NO_SUBSCRIPTION_TO_UPDATE, UPDATE_INVALID)
  async update(
    @CurrentPrincipal() user: EndUserPrincipal,
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @RequestHeader('idempotency-key', IdempotencyKeyPipe) idempotencyKey: string | undefined,
    @Body() request: UpdateSubscriptionRequest,
  ): Promise<UpdateSubscriptionResponse> {
    return this.changes.update(user, mode, request, idempotencyKey);
  }

  @Post('update-subscription/preview')
  @ApiBodyLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'previewSubscriptionUpdate',
    summary: 'Preview Subscription Plan Change',
    description:
      'Extension (not in the reference API): what POST .../update-subscription with the same body would cost, ' +
      "from Stripe's invoice preview, with the same checks and answers; nothing is changed.",
  })
  @ApiTestModeQuery(TEST_MODE)
  @ApiBody({ type: UpdateSubscriptionRequest })
  @ApiOkResponse({
    type: SubscriptionChangePreviewResponse,
    description: 'What the change would cost.',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiPriceRefusals()
  @ApiChangeFailures(NO_SUBSCRIPTION_TO_UPDATE, 'Invalid test_mode or body (as POST .../update-subscription).')
  async preview(
    @CurrentPrincipal() user: EndUserPrincipal,
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @Body() request: UpdateSubscriptionRequest,
  ): Promise<SubscriptionChangePreviewResponse> {
    return this.changes.preview(user, mode, request);
  }

  @Post('reactivate-subscription')
  @ApiBodyLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'reactivateSubscription',
    summary: 'Reactivate Subscription',
    description:
      'Extension (not in the reference API): undo a scheduled cancellation, at period end (`cancel_at_period_end`) ' +
      'or on a date (`cancel_at`, as the Dashboard sets one), so the current subscription renews again. 404 when ' +
      "none is scheduled. The local record is written from Stripe's answer.",
  })
  @ApiTestModeQuery(TEST_MODE)
  @ApiIdempotencyKey()
  @ApiOkResponse({
    type: ReactivateSubscriptionResponse,
    description: 'The cancellation is undone.',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiChangeFailures(NO_CANCELLATION_SCHEDULED, 'Invalid test_mode or Idempotency-Key.')
  async reactivate(
    @CurrentPrincipal() user: EndUserPrincipal,
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @RequestHeader('idempotency-key', IdempotencyKeyPipe) idempotencyKey: string | undefined,
  ): Promise<ReactivateSubscriptionResponse> {
    return this.changes.reactivate(user, mode, idempotencyKey);
  }
}
