import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, DeveloperAuth, type Principal } from '#libs/auth';
import { PAYMENT_STATUSES, SUBSCRIPTION_STATUSES } from '#libs/billing-records';
import {
  ApiDatabaseUnavailable,
  ApiPageQueries,
  ApiTestModeQuery,
  HTTPValidationError,
  pageQuery,
  pageSizeQuery,
  TestModePipe,
} from '#libs/http-errors';
import { ApiProjectNotFound } from '../owned-project.js';
import {
  ApiDeveloperFilterQueries,
  ApiListingValidation,
  ApiStatusQuery,
  modeFilterQuery,
  projectFilterQuery,
  statusTextQuery,
} from './billing-queries.js';
import {
  AggregatedPaymentListResponse,
  AggregatedSubscriptionListResponse,
  PaymentStatsResponse,
} from './billing.dto.js';
import { DeveloperBillingService } from './developer-billing.service.js';

/** Subscriptions, payments and figures across all of the calling developer's projects, and nobody else's. */
@ApiTags('Payments')
@DeveloperAuth()
@ApiDatabaseUnavailable()
@Controller({ path: 'payments', version: '1' })
export class BillingOverviewController {
  constructor(private readonly billing: DeveloperBillingService) {}

  @Get('subscriptions')
  @ApiOperation({
    operationId: 'listAllSubscriptions',
    summary: 'List All Subscriptions',
    description:
      "List all subscriptions across developer's projects with optional filtering by project, test mode, and " +
      'status: newest first (ties keep one order, so pages never overlap).',
  })
  @ApiDeveloperFilterQueries()
  @ApiStatusQuery(SUBSCRIPTION_STATUSES, 'reference')
  @ApiPageQueries()
  @ApiOkResponse({ type: AggregatedSubscriptionListResponse, description: 'One page of subscriptions.' })
  @ApiProjectNotFound()
  @ApiListingValidation('project_id, test_mode', null)
  subscriptions(
    @CurrentPrincipal() developer: Principal,
    @Query('project_id', projectFilterQuery) projectId: string | null,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', modeFilterQuery) mode: 'test' | 'live' | null,
    @Query('status', statusTextQuery) status: string | null,
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<AggregatedSubscriptionListResponse> {
    return this.billing.subscriptions(developer, { projectId, mode, status }, { page, pageSize });
  }

  @Get('transactions')
  @ApiOperation({
    operationId: 'listAllTransactions',
    summary: 'List All Transactions',
    description:
      "List all payment transactions across developer's projects with optional filtering by project, test mode, " +
      'and status: newest first (ties keep one order, so pages never overlap).',
  })
  @ApiDeveloperFilterQueries()
  @ApiStatusQuery(PAYMENT_STATUSES, 'reference')
  @ApiPageQueries()
  @ApiOkResponse({ type: AggregatedPaymentListResponse, description: 'One page of payments.' })
  @ApiProjectNotFound()
  @ApiListingValidation('project_id, test_mode', null)
  transactions(
    @CurrentPrincipal() developer: Principal,
    @Query('project_id', projectFilterQuery) projectId: string | null,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', modeFilterQuery) mode: 'test' | 'live' | null,
    @Query('status', statusTextQuery) status: string | null,
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<AggregatedPaymentListResponse> {
    return this.billing.transactions(developer, { projectId, mode, status }, { page, pageSize });
  }

  @Get('stats')
  @ApiOperation({
    operationId: 'getPaymentStats',
    summary: 'Get Payment Statistics',
    description:
      "Get aggregated payment statistics across all developer's projects including subscription counts, payment " +
      'counts, and revenue. Revenue is in one currency, the one with the most successful payments; ' +
      '`revenue_by_currency` (an extension) has every currency apart.',
  })
  @ApiTestModeQuery({
    meaning: 'Include test mode data',
    whenFalse: 'Set to false for live mode only; true counts test and live records together.',
    schemaDescription: 'Include test mode data',
  })
  @ApiOkResponse({ type: PaymentStatsResponse, description: "The developer's figures." })
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
  stats(
    @CurrentPrincipal() developer: Principal,
    @Query('test_mode', TestModePipe) includeTest: boolean,
  ): Promise<PaymentStatsResponse> {
    return this.billing.stats(developer, includeTest);
  }
}
