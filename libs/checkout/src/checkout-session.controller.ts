import { Body, Controller, Header, HttpCode, Post, Query } from '@nestjs/common';
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
import { CheckoutSessionRequest, CheckoutSessionResponse } from './checkout-session.dto.js';
import { ALREADY_SUBSCRIBED_DETAIL, CHECKOUT_BUSY_DETAIL, CheckoutSessionService } from './checkout-session.service.js';

@ApiTags('Stripe Checkout')
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe', version: '1' })
export class CheckoutSessionController {
  constructor(private readonly checkout: CheckoutSessionService) {}

  @Post('checkout-session')
  @ApiBodyLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'createCheckoutSession',
    summary: 'Create Checkout Session',
    description:
      "Create a Stripe Checkout session for the calling end user, with the project's test or live keys, and redirect " +
      "the user to `checkout_url`. The user's Stripe customer is created on their first checkout (metadata " +
      '`project_id`, `user_id`) and reused after. Subscription checkouts: a user with a subscription that has not ' +
      "ended gets 400 unless `allow_existing_subscription`; a new checkout expires the user's previous open one, so " +
      "a user never has two payable sessions; the project's `trial_period_days` applies to the user's first " +
      'subscription only. Stripe then reports the outcome to the webhook endpoint. Rate limited per end user and per ' +
      'client address; the X-RateLimit-* headers report the more restrictive limit.',
  })
  @ApiTestModeQuery({
    meaning: 'Use test mode credentials',
    whenFalse: 'Set to false for production.',
    schemaDescription: 'Use test mode credentials',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
    description:
      "Extension: retrying with the same key answers the same session while it is the user's open one (a double " +
      'click makes one session); reusing it with other parameters is a 409.',
  })
  @ApiBody({ type: CheckoutSessionRequest })
  @ApiOkResponse({
    type: CheckoutSessionResponse,
    description: 'Checkout session created (response is not cacheable).',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiBadRequestResponse({
    type: ErrorDetail,
    description:
      'Subscription checkout for a user who already has a subscription that has not ended (active, trialing, ' +
      'past_due, unpaid, paused) or has just paid their open checkout, without allow_existing_subscription.',
    example: { detail: ALREADY_SUBSCRIBED_DETAIL },
  })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description: 'The project does not exist or has no active Stripe keys for the mode.',
    example: { detail: PROJECT_NOT_CONFIGURED },
  })
  @ApiConflictResponse({
    type: ErrorDetail,
    description: 'The Idempotency-Key was used before with different parameters.',
    example: { detail: IDEMPOTENCY_KEY_REUSED_DETAIL },
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description:
      "Invalid test_mode, Idempotency-Key or body; a success_url or cancel_url outside the project's allowed " +
      "origins; a price_id outside the project's allowed prices; or a price Stripe refuses (unknown in the mode's " +
      'account, inactive, or recurring/one-time against `mode`).',
    examples: {
      body: {
        summary: 'Invalid body',
        value: { detail: [{ loc: ['body', 'success_url'], msg: 'Field required', type: 'missing' }] },
      },
      price: {
        summary: 'Price Stripe does not know',
        value: {
          detail: [
            {
              loc: ['body', 'price_id'],
              msg: "Value error, no such price in this project's Stripe test mode account",
              type: 'value_error',
            },
          ],
        },
      },
    },
  })
  @ApiBadGatewayResponse({
    type: ErrorDetail,
    description: "Stripe refused the project's configuration (bad or revoked key, missing permission).",
    example: {
      detail:
        "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
    },
  })
  @ApiStripeUnavailable(
    'Stripe or the database is briefly unavailable (Stripe slower than the time budget, rate limiting, failing or ' +
      'unreachable, or still running a request with the same idempotency key), the project already has as many ' +
      'Stripe requests in flight as it may, or another checkout of the same user is still running; retry after the ' +
      "Retry-After header. Without Retry-After: the project's stored key cannot be decrypted with the service's " +
      "SECRETS_ENCRYPTION_KEY, an operator's fix.",
    {
      busy: { summary: 'Too many Stripe requests in flight', value: { detail: BULKHEAD_FULL_DETAIL } },
      checkout: { summary: "Another of the user's checkouts is running", value: { detail: CHECKOUT_BUSY_DETAIL } },
      secrets: { summary: 'Stored key unreadable', value: { detail: STORED_SECRETS_UNREADABLE } },
    },
  )
  async createSession(
    @CurrentPrincipal() user: EndUserPrincipal,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @RequestHeader('idempotency-key', IdempotencyKeyPipe) idempotencyKey: string | undefined,
    @Body() request: CheckoutSessionRequest,
  ): Promise<CheckoutSessionResponse> {
    const session = await this.checkout.createSession(user, mode, request, idempotencyKey);
    return { session_id: session.sessionId, checkout_url: session.checkoutUrl };
  }
}
