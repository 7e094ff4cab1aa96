import { Body, Controller, Header, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
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
import {
  ApiBodyLimit,
  ApiDatabaseUnavailable,
  ApiTestModeQuery,
  ErrorDetail,
  HTTPValidationError,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IdempotencyKeyPipe,
  RequestHeader,
  StripeModePipe,
} from '#libs/http-errors';
import { STORED_SECRETS_UNREADABLE } from '#libs/projects';
import { RATE_LIMIT_HEADERS, RateLimitedEndUserAuth } from '#libs/rate-limit';
import { BULKHEAD_FULL_DETAIL, ApiStripeUnavailable } from '#libs/stripe-http';
import { CustomerPortalRequest, CustomerPortalResponse } from './customer-portal.dto.js';
import { CustomerPortalService, PROJECT_NOT_CONFIGURED } from './customer-portal.service.js';

@ApiTags('Stripe Subscriptions')
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe', version: '1' })
export class CustomerPortalController {
  constructor(private readonly portal: CustomerPortalService) {}

  @Post('customer-portal')
  @ApiBodyLimit()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'createCustomerPortalSession',
    summary: 'Create Customer Portal Session',
    description:
      "Create a Stripe Customer Portal session for the calling end user's own Stripe customer, with the project's " +
      'test or live keys. Redirect the user to `portal_url`; Stripe sends them back to `return_url`. Rate limited ' +
      'per end user and per client address; the X-RateLimit-* headers report the more restrictive limit.',
  })
  @ApiTestModeQuery({
    meaning: 'Use test mode credentials',
    whenFalse: 'Set to false for production.',
    schemaDescription: 'Use test mode',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
    description:
      'Retrying with the same key returns the same Stripe session; reusing it with other parameters is a 409.',
  })
  @ApiBody({ type: CustomerPortalRequest })
  @ApiOkResponse({
    type: CustomerPortalResponse,
    description: 'Portal session created (response is not cacheable).',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description:
      'The project does not exist or has no active Stripe keys for the mode, or the user has no Stripe customer.',
    examples: {
      project: { summary: 'Project not configured', value: { detail: PROJECT_NOT_CONFIGURED } },
      customer: { summary: 'No customer', value: { detail: 'No Stripe customer found for user' } },
    },
  })
  @ApiConflictResponse({
    type: ErrorDetail,
    description: 'The Idempotency-Key was used before with different parameters.',
    example: {
      detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
    },
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Invalid test_mode, Idempotency-Key or body (e.g. a return_url that is not an absolute http(s) URL).',
    example: { detail: [{ loc: ['body', 'return_url'], msg: 'Field required', type: 'missing' }] },
  })
  @ApiBadGatewayResponse({
    type: ErrorDetail,
    description:
      "Stripe refused the project's configuration (bad or revoked key, missing permission, portal not set up).",
    example: {
      detail:
        "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
    },
  })
  @ApiStripeUnavailable(
    'Stripe or the database is briefly unavailable (Stripe slower than the time budget, rate limiting, failing or ' +
      'unreachable), or the project already has as many Stripe requests in flight as it may ' +
      '(STRIPE_MAX_IN_FLIGHT_PER_PROJECT; refused at once, never queued); retry after the Retry-After header. ' +
      "Without Retry-After: the project's stored key cannot be decrypted with the service's SECRETS_ENCRYPTION_KEY, " +
      "an operator's fix.",
    {
      busy: { summary: 'Too many Stripe requests in flight', value: { detail: BULKHEAD_FULL_DETAIL } },
      secrets: { summary: 'Stored key unreadable', value: { detail: STORED_SECRETS_UNREADABLE } },
    },
  )
  async createSession(
    @CurrentPrincipal() user: EndUserPrincipal,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @RequestHeader('idempotency-key', IdempotencyKeyPipe) idempotencyKey: string | undefined,
    @Body() request: CustomerPortalRequest,
  ): Promise<CustomerPortalResponse> {
    const portalUrl = await this.portal.createSession(user, mode, request, idempotencyKey);
    return { portal_url: portalUrl };
  }
}
