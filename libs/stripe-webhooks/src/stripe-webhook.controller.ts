import { Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorDetail, HTTPValidationError, UuidPathPipe, RETRY_AFTER_HEADER } from '#libs/http-errors';
import {
  EVENT_IN_PROGRESS,
  INTERNAL_EVENT_ERROR,
  INVALID_SIGNATURE,
  StripeWebhookService,
  WEBHOOK_NOT_CONFIGURED,
} from './stripe-webhook.service.js';
import { HANDLED_EVENT_TYPES } from './webhook-event.processor.js';
import { WEBHOOK_BODY_LIMIT_BYTES } from './webhook-body.js';
import { WebhookModePipe } from './webhook-mode.pipe.js';

export class WebhookReceivedResponse {
  // Not `required` in the schema: the reference declares the answer as any JSON; this service always sends it.
  @ApiProperty({
    required: false,
    example: true,
    description: 'Always true: the event was verified and is processed (now or before).',
  })
  received: true;
}

@ApiTags('Stripe Webhooks')
@Controller({ path: 'payments/stripe/webhooks', version: '1' })
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhookService) {}

  @Post(':project_id/:mode')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'handleStripeWebhook',
    summary: 'Handle Stripe Webhook',
    description:
      "Receives a project's Stripe events for one mode; configure this URL (GET .../webhook-urls) as a webhook " +
      "endpoint in the Stripe Dashboard and store its signing secret in the project's configuration. No bearer " +
      'token: the Stripe-Signature header, checked on the exact bytes received (300 s tolerance), is the ' +
      "authentication. Each event is stored once; the object it names is fetched again with the project's key and " +
      "Stripe's current state is written, so duplicate, late and out-of-order deliveries change nothing wrongly. " +
      `Handled: ${HANDLED_EVENT_TYPES.join(', ')}; any other event is acknowledged and ignored. A failure answers ` +
      '500 or 503 and writes nothing, so Stripe delivers the event again.',
  })
  @ApiParam({ name: 'project_id', schema: { type: 'string', format: 'uuid', title: 'Project Id' } })
  @ApiParam({ name: 'mode', schema: { type: 'string', enum: ['test', 'live'], title: 'Mode' } })
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: 'The signature Stripe computes over the body with the endpoint signing secret (whsec_...).',
  })
  @ApiBody({
    description: `A Stripe event exactly as Stripe sends it (application/json, at most ${WEBHOOK_BODY_LIMIT_BYTES} bytes).`,
    schema: {
      type: 'object',
      required: ['id', 'type', 'created', 'livemode', 'data'],
      properties: {
        id: { type: 'string', example: 'evt_1ABC123def456' },
        type: { type: 'string', example: 'checkout.session.completed' },
        created: { type: 'integer', example: 1764676800 },
        livemode: { type: 'boolean', example: false },
        api_version: { type: 'string', nullable: true, example: '2026-10-28.endive' },
        data: {
          type: 'object',
          properties: { object: { type: 'object', properties: { id: { type: 'string', example: 'cs_test_a1b2c3' } } } },
        },
      },
    },
  })
  @ApiOkResponse({ type: WebhookReceivedResponse, description: 'Verified and processed (or processed before).' })
  @ApiBadRequestResponse({
    type: ErrorDetail,
    description: "Missing, malformed, wrong-secret or stale signature, or an event of the other mode's livemode.",
    example: { detail: INVALID_SIGNATURE },
  })
  @ApiNotFoundResponse({
    type: ErrorDetail,
    description: 'No such project, or no signing secret and secret key stored for this mode.',
    example: { detail: WEBHOOK_NOT_CONFIGURED },
  })
  @ApiConflictResponse({
    type: ErrorDetail,
    description: 'Another delivery of the same event is still being processed; Stripe delivers it again.',
    example: { detail: EVENT_IN_PROGRESS },
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorDetail,
    description: 'The body is larger than 1 MiB.',
    example: { detail: `Request body is larger than the limit of ${WEBHOOK_BODY_LIMIT_BYTES} bytes` },
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorDetail,
    description: 'The body is not application/json, or is compressed.',
    example: { detail: 'Unsupported media type; send application/json' },
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: '`project_id` is not a UUID or `mode` is neither `test` nor `live`.',
    example: { detail: [{ loc: ['path', 'mode'], msg: "Input should be 'test' or 'live'", type: 'literal_error' }] },
  })
  @ApiInternalServerErrorResponse({
    type: ErrorDetail,
    description: 'Processing failed unexpectedly; nothing was written and Stripe delivers the event again.',
    example: { detail: INTERNAL_EVENT_ERROR },
  })
  @ApiServiceUnavailableResponse({
    type: ErrorDetail,
    description:
      'Stripe or the database was unavailable while processing; nothing was written and Stripe delivers the event again.',
    headers: RETRY_AFTER_HEADER,
    example: {
      detail: "Stripe did not give the event's object (server_error); Stripe will deliver the event again",
    },
  })
  async receive(
    @Param('project_id', new UuidPathPipe('project_id')) projectId: string,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Param('mode', WebhookModePipe) mode: 'test' | 'live',
    @Headers('stripe-signature') signature: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<WebhookReceivedResponse> {
    await this.webhooks.receive(projectId, mode, request.body, signature);
    return { received: true };
  }
}
