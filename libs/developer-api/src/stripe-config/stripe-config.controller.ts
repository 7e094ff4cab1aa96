import { Body, Controller, Delete, Get, HttpCode, Put, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, DeveloperAuth, type Principal } from '#libs/auth';
import { DATABASE_UNAVAILABLE } from '#libs/database';
import {
  pageQuery,
  pageSizeQuery,
  ApiBodyLimit,
  ApiDatabaseUnavailable,
  ApiPageQueries,
  HTTPValidationError,
  ErrorDetail,
  RETRY_AFTER_HEADER,
} from '#libs/http-errors';
import {
  PROJECT_NOT_FOUND,
  STORED_SECRETS_UNREADABLE,
  STRIPE_CONFIG_NOT_FOUND,
  StripeConfigService,
  type ConfigActor,
  type ProjectRecord,
} from '#libs/projects';
import { RATE_LIMIT_HEADERS } from '#libs/rate-limit';
import { ApiProjectIdParam, ApiProjectNotFound, OwnedProject } from '../owned-project.js';
import { RateLimitedConfigWrite } from './config-write.rate-limit.js';
import {
  StripeConfigHistoryResponse,
  StripeConfigRequest,
  StripeConfigResponse,
  toStripeConfigHistoryResponse,
  toStripeConfigResponse,
} from './stripe-config.dto.js';

/** Reading stored secrets (to mask them) adds a 503 an operator must fix: keys the service cannot decrypt. */
const unavailableOrUnreadable = ApiServiceUnavailableResponse({
  type: ErrorDetail,
  description:
    'The database is briefly unavailable (retry after Retry-After), or the stored Stripe secrets cannot be ' +
    "decrypted with the service's SECRETS_ENCRYPTION_KEY (no Retry-After: retrying does not help until an operator " +
    'restores the key or lists the former one in SECRETS_ENCRYPTION_PREVIOUS_KEYS; a PUT then changes nothing).',
  headers: RETRY_AFTER_HEADER,
  examples: {
    database: { summary: 'Database unavailable', value: { detail: DATABASE_UNAVAILABLE } },
    secrets: { summary: 'Stored secrets unreadable', value: { detail: STORED_SECRETS_UNREADABLE } },
  },
});

const invalid = ApiUnprocessableEntityResponse({
  type: HTTPValidationError,
  description: 'Malformed project_id or body.',
  example: { detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }] },
});

@ApiTags('Stripe Configuration')
@ApiExtraModels(StripeConfigResponse)
@DeveloperAuth()
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe/projects/:project_id/config', version: '1' })
export class StripeConfigController {
  constructor(private readonly configs: StripeConfigService) {}

  @Get()
  @ApiOperation({
    operationId: 'getStripeConfig',
    summary: 'Get Stripe Config',
    description: "The project's Stripe configuration with masked credentials, or `null` when none exists.",
  })
  @ApiProjectIdParam()
  @ApiOkResponse({
    description: 'The configuration, or the JSON literal null.',
    schema: { type: 'object', nullable: true, allOf: [{ $ref: getSchemaPath(StripeConfigResponse) }] },
  })
  @ApiProjectNotFound()
  @invalid
  @unavailableOrUnreadable
  async get(@OwnedProject() project: ProjectRecord, @Res() reply: FastifyReply): Promise<void> {
    const config = await this.configs.find(project.id);
    // Serialized here: a handler's null return would be sent as an empty body; the reference answers a JSON null.
    await reply
      .status(200)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(config && toStripeConfigResponse(config)));
  }

  @Put()
  @ApiBodyLimit()
  @RateLimitedConfigWrite()
  @ApiOperation({
    operationId: 'updateStripeConfig',
    summary: 'Update Stripe Config',
    description:
      'Create or partially update the configuration: an absent or null field keeps its value, "" (or []) clears ' +
      'it; trial_period_days, a number, is cleared with null. ' +
      'Reactivates a deactivated configuration. A changed secret key is used by the very next portal request. ' +
      'A field equal to the stored value is no change: a PUT that changes nothing writes nothing and adds no ' +
      'history entry. Writes (PUT and DELETE) are rate limited per developer (RATE_LIMIT_CONFIG_PER_MINUTE).',
  })
  @ApiProjectIdParam()
  @ApiBody({ type: StripeConfigRequest })
  @ApiOkResponse({ type: StripeConfigResponse, headers: RATE_LIMIT_HEADERS })
  @ApiProjectNotFound()
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description:
      'A key of the wrong kind or mode (the value is never echoed), a malformed origin or price id, ' +
      'trial_period_days not a whole number from 0 to 730, or past_due_grace_days not one from 0 to 365.',
    example: {
      detail: [
        {
          loc: ['body', 'test_secret_key'],
          msg: 'Value error, test_secret_key must start with sk_test_ or rk_test_ for test mode',
          type: 'value_error',
        },
      ],
    },
  })
  @unavailableOrUnreadable
  async update(
    @CurrentPrincipal() developer: Principal,
    @OwnedProject() project: ProjectRecord,
    @Body() request: StripeConfigRequest,
  ): Promise<StripeConfigResponse> {
    return toStripeConfigResponse(await this.configs.update(project.id, actorOf(developer), request));
  }

  @Delete()
  @HttpCode(204)
  @RateLimitedConfigWrite()
  @ApiOperation({
    operationId: 'deleteStripeConfig',
    summary: 'Delete Stripe Config',
    description:
      'Deactivates the configuration: the portal answers 404 until the next PUT; customers stay linked. ' +
      'Deactivating an inactive configuration changes and records nothing. Counts against the per-developer ' +
      'configuration write limit.',
  })
  @ApiProjectIdParam()
  @ApiNoContentResponse({ description: 'Deactivated.', headers: RATE_LIMIT_HEADERS })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description: 'No such project among yours, or it has no Stripe configuration.',
    examples: {
      project: { summary: 'Project', value: { detail: PROJECT_NOT_FOUND } },
      config: { summary: 'Configuration', value: { detail: STRIPE_CONFIG_NOT_FOUND } },
    },
  })
  @invalid
  async deactivate(@CurrentPrincipal() developer: Principal, @OwnedProject() project: ProjectRecord): Promise<void> {
    await this.configs.deactivate(project.id, actorOf(developer));
  }

  @Get('history')
  @ApiOperation({
    operationId: 'getStripeConfigHistory',
    summary: 'Get Stripe Config History',
    description:
      'Extension: who changed the configuration, when, and which fields (never values), newest first, one page at ' +
      'a time.',
  })
  @ApiProjectIdParam()
  @ApiPageQueries()
  @ApiOkResponse({ type: StripeConfigHistoryResponse, description: 'One page of changes and the total.' })
  @ApiProjectNotFound()
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Malformed project_id, or page or page_size not an integer or out of range.',
    example: {
      detail: [
        { loc: ['query', 'page_size'], msg: 'Input should be less than or equal to 100', type: 'less_than_equal' },
      ],
    },
  })
  async history(
    @OwnedProject() project: ProjectRecord,
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<StripeConfigHistoryResponse> {
    const history = await this.configs.history(project.id, { page, pageSize });
    return toStripeConfigHistoryResponse(history, { page, pageSize });
  }
}

function actorOf(developer: Principal): ConfigActor {
  return { type: 'developer', id: developer.userId };
}
