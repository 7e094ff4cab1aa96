import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { DeveloperAuth } from '#libs/auth';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import {
  ApiBodyLimit,
  ApiDatabaseUnavailable,
  ApiTestModeQuery,
  ErrorDetail,
  HTTPValidationError,
  StripeModePipe,
  UuidPathPipe,
} from '#libs/http-errors';
import { ApiStripeUnavailable } from '#libs/stripe-http';
import { NO_CUSTOMER_DETAIL, PROJECT_NOT_FOUND, STORED_SECRETS_UNREADABLE, type ProjectRecord } from '#libs/projects';
import { RATE_LIMIT_HEADERS } from '#libs/rate-limit';
import { CredentialValidationService, KEY_REJECTED } from './credential-validation.service.js';
import {
  CREDENTIAL_VALIDATION_LIMIT,
  CREDENTIAL_VALIDATION_WINDOW_SECONDS,
  RateLimitedCustomerLink,
  RateLimitedDeveloperAuth,
} from './credential-validation.rate-limit.js';
import { CustomerLinksService } from './customer-links.service.js';
import {
  LinkStripeCustomerRequest,
  StripeCustomerLinkResponse,
  StripeWebhookUrlsResponse,
  ValidateStripeCredentialsRequest,
  ValidateStripeCredentialsResponse,
} from './stripe-tools.dto.js';
import { PUBLIC_BASE_URL_MISSING, WebhookUrlsService } from './webhook-urls.service.js';
import { ApiProjectIdParam, ApiProjectNotFound, OwnedProject } from '../owned-project.js';

const USER_ID = new UuidPathPipe('user_id');

const userIdParam = ApiParam({
  name: 'user_id',
  format: 'uuid',
  description: 'The end user (the `sub` of their access token).',
});
const testModeQuery = ApiTestModeQuery({ meaning: 'Which mode the mapping belongs to' });
const malformedProjectId = ApiUnprocessableEntityResponse({
  type: HTTPValidationError,
  description: 'Malformed project_id.',
  example: { detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }] },
});
const stripeUnavailable = ApiStripeUnavailable(
  'Stripe is unreachable, too slow, rate limiting or failing, or the project already has as many Stripe requests in ' +
    'flight as it may (STRIPE_MAX_IN_FLIGHT_PER_PROJECT); retry after the Retry-After header.',
);

const linkUnavailable = ApiStripeUnavailable(
  'Stripe is unreachable, too slow, rate limiting or failing, or the project already has as many Stripe requests in ' +
    'flight as it may (STRIPE_MAX_IN_FLIGHT_PER_PROJECT); retry after the Retry-After header. Without Retry-After: ' +
    "the project's stored key cannot be decrypted with the service's SECRETS_ENCRYPTION_KEY, an operator's fix.",
  { secrets: { summary: 'Stored key unreadable', value: { detail: STORED_SECRETS_UNREADABLE } } },
);

/** Developer tools around a project's Stripe account: check a key, get webhook URLs, link end users to customers. */
@ApiTags('Stripe Configuration')
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe/projects/:project_id', version: '1' })
export class StripeToolsController {
  constructor(
    private readonly credentials: CredentialValidationService,
    private readonly webhooks: WebhookUrlsService,
    private readonly customers: CustomerLinksService,
  ) {}

  @Post('validate-credentials')
  @ApiBodyLimit()
  @HttpCode(200)
  @RateLimitedDeveloperAuth()
  @ApiOperation({
    operationId: 'validateStripeCredentials',
    summary: 'Validate Stripe Credentials',
    description:
      'Check a Stripe secret key before saving it: its prefix must match the mode, then Stripe must accept it for ' +
      'one read (the balance). An invalid key is a 200 with `valid: false`. The key is never stored, logged or ' +
      `echoed. At most ${CREDENTIAL_VALIDATION_LIMIT} validations per developer per ` +
      `${CREDENTIAL_VALIDATION_WINDOW_SECONDS} seconds.`,
  })
  @ApiProjectIdParam()
  @ApiBody({ type: ValidateStripeCredentialsRequest })
  @ApiOkResponse({
    type: ValidateStripeCredentialsResponse,
    description: 'The verdict; `valid: false` for a key of the wrong mode or kind, or one Stripe refuses.',
    headers: RATE_LIMIT_HEADERS,
    examples: {
      valid: { summary: 'Valid', value: { valid: true, message: 'Credentials are valid' } },
      rejected: { summary: 'Rejected by Stripe', value: { valid: false, message: KEY_REJECTED } },
      mode: {
        summary: 'Wrong mode',
        value: { valid: false, message: 'secret_key must start with sk_test_ or rk_test_ for test mode' },
      },
    },
  })
  @ApiProjectNotFound()
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Malformed project_id or body (secret_key a non-empty string, is_test_mode a JSON boolean).',
    example: { detail: [{ loc: ['body', 'secret_key'], msg: 'Field required', type: 'missing' }] },
  })
  @ApiBadGatewayResponse({
    type: ErrorDetail,
    description: 'Stripe answered the check in an unexpected way.',
    example: { detail: 'Stripe returned an unexpected api_error' },
  })
  @stripeUnavailable
  validateCredentials(
    @OwnedProject() project: ProjectRecord,
    @Body() request: ValidateStripeCredentialsRequest,
  ): Promise<ValidateStripeCredentialsResponse> {
    return this.credentials.validate(project.id, request);
  }

  @Get('webhook-urls')
  @DeveloperAuth()
  @ApiOperation({
    operationId: 'getStripeWebhookUrls',
    summary: 'Get Webhook URLs',
    description:
      'The endpoint URLs to register in the Stripe Dashboard for test and live mode events, built from ' +
      'PUBLIC_BASE_URL.',
  })
  @ApiProjectIdParam()
  @ApiOkResponse({ type: StripeWebhookUrlsResponse })
  @ApiProjectNotFound()
  @malformedProjectId
  @ApiServiceUnavailableResponse({
    type: ErrorDetail,
    description: "The service does not know its external address (PUBLIC_BASE_URL is unset): an operator's fix.",
    example: { detail: PUBLIC_BASE_URL_MISSING },
  })
  getWebhookUrls(@OwnedProject() project: ProjectRecord): StripeWebhookUrlsResponse {
    return this.webhooks.webhookUrls(project.id);
  }

  @Put('customers/:user_id')
  @ApiBodyLimit()
  @RateLimitedCustomerLink()
  @ApiOperation({
    operationId: 'linkStripeCustomer',
    summary: 'Link Stripe Customer',
    description:
      "Extension: map an end user to an existing customer of the project's Stripe account in the mode, replacing " +
      "any earlier mapping of that user and mode. The customer is first looked up with the project's stored key. " +
      `Counts against the same per-developer limit as validate-credentials (${CREDENTIAL_VALIDATION_LIMIT} per ` +
      `${CREDENTIAL_VALIDATION_WINDOW_SECONDS} seconds together).`,
  })
  @ApiProjectIdParam()
  @userIdParam
  @testModeQuery
  @ApiBody({ type: LinkStripeCustomerRequest })
  @ApiOkResponse({ type: StripeCustomerLinkResponse, headers: RATE_LIMIT_HEADERS })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description: 'No such project among yours, or it has no active Stripe key for the mode.',
    examples: {
      project: { summary: 'Project', value: { detail: PROJECT_NOT_FOUND } },
      configuration: { summary: 'Not configured', value: { detail: PROJECT_NOT_CONFIGURED } },
    },
  })
  @ApiConflictResponse({
    type: ErrorDetail,
    description: 'The customer is already linked to another user of the project in that mode.',
    example: {
      detail: 'Stripe customer cus_QAbCdEfGhIjKlM is already linked to another user of this project in test mode',
    },
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description:
      "Malformed project_id, user_id, test_mode or stripe_customer_id, or no such (or a deleted) customer in the project's Stripe account.",
    example: {
      detail: [
        {
          loc: ['body', 'stripe_customer_id'],
          msg: "Value error, no such customer in this project's Stripe test mode account",
          type: 'value_error',
        },
      ],
    },
  })
  @ApiBadGatewayResponse({
    type: ErrorDetail,
    description: "Stripe refused the project's stored key (invalid, revoked, or without read access to Customers).",
    example: {
      detail:
        "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
    },
  })
  @linkUnavailable
  linkCustomer(
    @OwnedProject() project: ProjectRecord,
    @Param('user_id', USER_ID) userId: string,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @Body() request: LinkStripeCustomerRequest,
  ): Promise<StripeCustomerLinkResponse> {
    return this.customers.link(project.id, userId, mode, request.stripe_customer_id);
  }

  @Delete('customers/:user_id')
  @HttpCode(204)
  @DeveloperAuth()
  @ApiOperation({
    operationId: 'unlinkStripeCustomer',
    summary: 'Unlink Stripe Customer',
    description:
      "Extension: remove the end user's customer mapping for the mode (the Stripe customer itself is untouched).",
  })
  @ApiProjectIdParam()
  @userIdParam
  @testModeQuery
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description: 'No such project among yours, or the user has no customer in that mode.',
    examples: {
      project: { summary: 'Project', value: { detail: PROJECT_NOT_FOUND } },
      customer: { summary: 'No mapping', value: { detail: NO_CUSTOMER_DETAIL } },
    },
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Malformed project_id, user_id or test_mode.',
    example: { detail: [{ loc: ['path', 'user_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }] },
  })
  async unlinkCustomer(
    @OwnedProject() project: ProjectRecord,
    @Param('user_id', USER_ID) userId: string,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
  ): Promise<void> {
    await this.customers.unlink(project.id, userId, mode);
  }
}
