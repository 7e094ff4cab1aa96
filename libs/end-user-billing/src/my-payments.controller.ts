import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, type EndUserPrincipal } from '#libs/auth';
import {
  ApiDatabaseUnavailable,
  ApiPageQueries,
  ApiTestModeQuery,
  HTTPValidationError,
  pageQuery,
  pageSizeQuery,
  StripeModePipe,
} from '#libs/http-errors';
import { RATE_LIMIT_HEADERS, RateLimitedEndUserAuth } from '#libs/rate-limit';
import { StripePaymentListResponse } from './my-payments.dto.js';
import { MyPaymentsService } from './my-payments.service.js';

@ApiTags('Stripe Subscriptions')
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe', version: '1' })
export class MyPaymentsController {
  constructor(private readonly payments: MyPaymentsService) {}

  @Get('my-payments')
  @Header('Cache-Control', 'no-store')
  @RateLimitedEndUserAuth()
  @ApiOperation({
    operationId: 'getMyPayments',
    summary: 'Get My Payment History',
    description:
      "The calling end user's payments in the project for the mode, newest first (ties in time keep one order, so " +
      'pages never overlap), from the records the Stripe webhooks keep: one per invoice or one-time payment, its ' +
      'status moving as attempts fail and succeed. No Stripe call.',
  })
  @ApiTestModeQuery({
    meaning: 'Use test mode data',
    whenFalse: 'Set to false for live payments.',
    schemaDescription: 'Use test mode',
  })
  @ApiPageQueries()
  @ApiOkResponse({
    type: StripePaymentListResponse,
    description: 'One page of payments (not cacheable).',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Invalid test_mode, page (an integer from 1) or page_size (an integer from 1 to 100).',
    example: {
      detail: [
        {
          loc: ['query', 'page_size'],
          msg: 'Input should be less than or equal to 100',
          type: 'less_than_equal',
        },
      ],
    },
  })
  async list(
    @CurrentPrincipal() user: EndUserPrincipal,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<StripePaymentListResponse> {
    return this.payments.list(user, mode, { page, pageSize });
  }
}
