import { Controller, Get, Header, Query } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { CurrentPrincipal, type EndUserPrincipal } from '#libs/auth';
import { ApiDatabaseUnavailable, ApiTestModeQuery, HTTPValidationError, StripeModePipe } from '#libs/http-errors';
import { RATE_LIMIT_HEADERS, RateLimitedEndUserAuth } from '#libs/rate-limit';
import { StripeSubscriptionResponse } from './my-subscription.dto.js';
import { MySubscriptionService } from './my-subscription.service.js';

@ApiTags('Stripe Subscriptions')
@ApiDatabaseUnavailable()
@ApiExtraModels(StripeSubscriptionResponse)
@Controller({ path: 'payments/stripe', version: '1' })
export class MySubscriptionController {
  constructor(private readonly subscriptions: MySubscriptionService) {}

  @Get('my-subscription')
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'getMySubscription',
    summary: 'Get My Subscription',
    description:
      "The calling end user's current subscription in the project for the mode: their newest one that has not " +
      'ended (active, trialing, past_due, unpaid or paused), or null. From the records the Stripe webhooks and ' +
      "this service's own changes keep: one database round trip, no Stripe call. Cancel, update and reactivate act " +
      'on this same subscription. Extension fields: price_id, cancel_at_period_end and is_entitled (whether to ' +
      'grant access now, so apps need not each re-implement the rule).',
  })
  @ApiTestModeQuery({
    meaning: 'Use test mode data',
    whenFalse: 'Set to false for production subscriptions.',
    schemaDescription: 'Use test mode',
  })
  @ApiOkResponse({
    description: 'The subscription, or null when the user has none that has not ended (not cacheable).',
    schema: { type: 'object', nullable: true, allOf: [{ $ref: getSchemaPath(StripeSubscriptionResponse) }] },
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Invalid test_mode.',
    example: {
      detail: [
        {
          loc: ['query', 'test_mode'],
          msg: 'Input should be a valid boolean, unable to interpret input',
          type: 'bool_parsing',
        },
      ],
    },
  })
  async get(
    @CurrentPrincipal() user: EndUserPrincipal,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
  ): Promise<StripeSubscriptionResponse | null> {
    return this.subscriptions.get(user, mode);
  }
}
