import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { DeveloperAuth } from '#libs/auth';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import {
  ApiDatabaseUnavailable,
  ApiTestModeQuery,
  ErrorDetail,
  HTTPValidationError,
  StripeModePipe,
} from '#libs/http-errors';
import { ApiStripeUnavailable } from '#libs/stripe-http';
import { PROJECT_NOT_FOUND, STORED_SECRETS_UNREADABLE, type ProjectRecord } from '#libs/projects';
import { RATE_LIMIT_HEADERS } from '#libs/rate-limit';
import { SubscriptionSyncService, SYNC_ALREADY_RUNNING } from '#libs/stripe-webhooks';
import { ApiProjectIdParam, ApiProjectNotFound, OwnedProject } from '../owned-project.js';
import {
  CREDENTIAL_VALIDATION_LIMIT,
  CREDENTIAL_VALIDATION_WINDOW_SECONDS,
  RateLimitedSync,
} from '../stripe-tools/credential-validation.rate-limit.js';
import { SyncSubscriptionsResponse, WebhookStatusResponse } from './stripe-sync.dto.js';
import { WebhookStatusService } from './webhook-status.service.js';

const malformedQuery = ApiUnprocessableEntityResponse({
  type: HTTPValidationError,
  description: 'Malformed project_id or test_mode.',
  example: {
    detail: [
      {
        loc: ['query', 'test_mode'],
        msg: 'Input should be a valid boolean, unable to interpret input',
        type: 'bool_parsing',
      },
    ],
  },
});

/** Is Stripe reaching the project's webhook endpoint, and the repair when it was not. */
@ApiTags('Stripe Configuration')
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe/projects/:project_id', version: '1' })
export class StripeSyncController {
  constructor(
    private readonly webhooks: WebhookStatusService,
    private readonly sync: SubscriptionSyncService,
  ) {}

  @Get('webhook-status')
  @DeveloperAuth()
  @ApiOperation({
    operationId: 'getStripeWebhookStatus',
    summary: 'Get Webhook Status',
    description:
      "Extension: how the project's webhook endpoint for the mode has been receiving Stripe's events, from the " +
      'event log: the last event, the events and processing failures of the last 24 hours, and the deliveries ' +
      'refused for a bad signature. A wrong or rotated webhook secret shows here first, as signature failures. ' +
      'No Stripe call.',
  })
  @ApiProjectIdParam()
  @ApiTestModeQuery({ meaning: "Which mode's endpoint" })
  @ApiOkResponse({ type: WebhookStatusResponse })
  @ApiProjectNotFound()
  @malformedQuery
  webhookStatus(
    @OwnedProject() project: ProjectRecord,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
  ): Promise<WebhookStatusResponse> {
    return this.webhooks.status(project.id, mode);
  }

  @Post('sync')
  @HttpCode(200)
  @RateLimitedSync()
  @ApiOperation({
    operationId: 'syncStripeSubscriptions',
    summary: 'Sync Subscriptions from Stripe',
    description:
      "Extension, the recovery when webhooks were missed: reads every subscription of the project's Stripe account " +
      "in the mode (all statuses, page by page) with the project's stored key, keeps those whose metadata names this " +
      'project or whose customer is linked to one of its users, and records what Stripe says now, as the webhooks ' +
      'would have; a record read later from Stripe (by a webhook meanwhile) is kept. A customer link that is missing ' +
      "is restored from the subscription's metadata (`user_id`) when neither the customer nor that user is linked in " +
      'the mode; an existing link is never replaced: a customer linked to another user stays theirs (the ' +
      "subscription is that user's), and a user linked to another customer keeps it (the subscription then has no " +
      'user). Payments are not repaired: they are recorded from invoice events only. If Stripe fails part-way, ' +
      'what was written stays and a second run finishes. Counts against the same per-developer limit as ' +
      `validate-credentials and customer links (${CREDENTIAL_VALIDATION_LIMIT} per ` +
      `${CREDENTIAL_VALIDATION_WINDOW_SECONDS} seconds together).`,
  })
  @ApiProjectIdParam()
  @ApiTestModeQuery({ meaning: 'Which mode to sync' })
  @ApiOkResponse({ type: SyncSubscriptionsResponse, headers: RATE_LIMIT_HEADERS })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description: 'No such project among yours, or it has no active Stripe key for the mode.',
    examples: {
      project: { summary: 'Project', value: { detail: PROJECT_NOT_FOUND } },
      configuration: { summary: 'Not configured', value: { detail: PROJECT_NOT_CONFIGURED } },
    },
  })
  @malformedQuery
  @ApiConflictResponse({
    type: ErrorDetail,
    description: "Another sync of this project's mode is running (one at a time, across the service's processes).",
    example: { detail: SYNC_ALREADY_RUNNING('test') },
  })
  @ApiBadGatewayResponse({
    type: ErrorDetail,
    description:
      "Stripe refused the project's stored key (invalid, revoked, or without read access to Subscriptions and " +
      'Products), or answered in an unexpected way.',
    example: {
      detail:
        "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
    },
  })
  @ApiStripeUnavailable(
    'Stripe is unreachable, too slow, rate limiting or failing, the project already has as many Stripe requests ' +
      'in flight as it may (STRIPE_MAX_IN_FLIGHT_PER_PROJECT), or the database is unavailable; retry after the ' +
      "Retry-After header. Without Retry-After: the project's stored key cannot be decrypted with the service's " +
      "SECRETS_ENCRYPTION_KEY, an operator's fix.",
    {
      database: {
        summary: 'Database unavailable',
        value: { detail: 'The database is temporarily unavailable; try again shortly' },
      },
      secrets: { summary: 'Stored key unreadable', value: { detail: STORED_SECRETS_UNREADABLE } },
    },
  )
  async syncSubscriptions(
    @OwnedProject() project: ProjectRecord,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
  ): Promise<SyncSubscriptionsResponse> {
    const result = await this.sync.sync(project.id, mode);
    return {
      fetched: result.fetched,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      ignored: result.ignored,
      links_restored: result.linksRestored,
    };
  }
}
