import { Body, Controller, Delete, Get, HttpCode, Put, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, DeveloperAuth, type Principal } from '#libs/auth';
import { ApiBodyLimit, ApiDatabaseUnavailable, ErrorDetail, HTTPValidationError } from '#libs/http-errors';
import {
  PROJECT_NOT_FOUND,
  STRIPE_CONFIG_NOT_FOUND,
  StripeConfigService,
  type ConfigActor,
  type ProjectRecord,
} from '#libs/projects';
import { ApiProjectIdParam, ApiProjectNotFound, OwnedProject } from '../owned-project.js';
import {
  StripeConfigHistoryResponse,
  StripeConfigRequest,
  StripeConfigResponse,
  toStripeConfigHistoryResponse,
  toStripeConfigResponse,
} from './stripe-config.dto.js';

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
  @ApiOperation({
    operationId: 'updateStripeConfig',
    summary: 'Update Stripe Config',
    description:
      'Create or partially update the configuration: an absent or null field keeps its value, "" clears it. ' +
      'Reactivates a deactivated configuration. A changed secret key is used by the very next portal request.',
  })
  @ApiProjectIdParam()
  @ApiBody({ type: StripeConfigRequest })
  @ApiOkResponse({ type: StripeConfigResponse })
  @ApiProjectNotFound()
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'A key of the wrong kind or mode (the value is never echoed), or a malformed origin.',
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
  async update(
    @CurrentPrincipal() developer: Principal,
    @OwnedProject() project: ProjectRecord,
    @Body() request: StripeConfigRequest,
  ): Promise<StripeConfigResponse> {
    return toStripeConfigResponse(await this.configs.update(project.id, actorOf(developer), request));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteStripeConfig',
    summary: 'Delete Stripe Config',
    description: 'Deactivates the configuration: the portal answers 404 until the next PUT; customers stay linked.',
  })
  @ApiProjectIdParam()
  @ApiNoContentResponse({ description: 'Deactivated.' })
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
    description: 'Extension: who changed the configuration, when, and which fields (never values), newest first.',
  })
  @ApiProjectIdParam()
  @ApiOkResponse({ type: StripeConfigHistoryResponse })
  @ApiProjectNotFound()
  @invalid
  async history(@OwnedProject() project: ProjectRecord): Promise<StripeConfigHistoryResponse> {
    return toStripeConfigHistoryResponse(await this.configs.history(project.id));
  }
}

function actorOf(developer: Principal): ConfigActor {
  return { type: 'developer', id: developer.userId };
}
