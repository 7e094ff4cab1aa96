import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeveloperAuth } from '#libs/auth';
import { SUBSCRIPTION_STATUSES } from '#libs/billing-records';
import { StripePaymentListResponse } from '#libs/end-user-billing';
import {
  ApiDatabaseUnavailable,
  ApiPageQueries,
  ApiTestModeQuery,
  pageQuery,
  pageSizeQuery,
  StripeModePipe,
} from '#libs/http-errors';
import type { ProjectRecord } from '#libs/projects';
import { ApiProjectIdParam, ApiProjectNotFound, OwnedProject } from '../owned-project.js';
import {
  ApiListingValidation,
  ApiStatusQuery,
  PAYMENT_STATUS_FILTERS,
  paymentStatusQuery,
  subscriptionStatusQuery,
} from './billing-queries.js';
import { StripeSubscriptionListResponse } from './billing.dto.js';
import { DeveloperBillingService } from './developer-billing.service.js';

const testModeFilter = ApiTestModeQuery({ meaning: 'Filter by test mode', schemaDescription: 'Filter by test mode' });

/** One project's subscriptions and payments, newest first, for its developer. */
@ApiTags('Stripe Configuration')
@DeveloperAuth()
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/stripe/projects/:project_id', version: '1' })
export class ProjectBillingController {
  constructor(private readonly billing: DeveloperBillingService) {}

  @Get('subscriptions')
  @ApiOperation({
    operationId: 'listProjectSubscriptions',
    summary: 'List Project Subscriptions',
    description:
      "The project's Stripe subscriptions in the mode, newest first (Stripe's creation time; ties keep one order, so " +
      'pages never overlap), as the webhooks last recorded them. Developer access required.',
  })
  @ApiProjectIdParam()
  @testModeFilter
  @ApiStatusQuery(SUBSCRIPTION_STATUSES, 'extension')
  @ApiPageQueries()
  @ApiOkResponse({ type: StripeSubscriptionListResponse, description: 'One page of subscriptions.' })
  @ApiProjectNotFound()
  @ApiListingValidation('project_id, test_mode', SUBSCRIPTION_STATUSES)
  subscriptions(
    @OwnedProject() project: ProjectRecord,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @Query('status', subscriptionStatusQuery) status: string | null,
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<StripeSubscriptionListResponse> {
    return this.billing.projectSubscriptions(project, mode, status, { page, pageSize });
  }

  @Get('payments')
  @ApiOperation({
    operationId: 'listProjectPayments',
    summary: 'List Project Payments',
    description:
      "The project's Stripe payments in the mode (one per invoice or one-time payment), newest first (ties keep one " +
      'order, so pages never overlap), as the webhooks last recorded them. Developer access required.',
  })
  @ApiProjectIdParam()
  @testModeFilter
  @ApiStatusQuery(PAYMENT_STATUS_FILTERS, 'extension')
  @ApiPageQueries()
  @ApiOkResponse({ type: StripePaymentListResponse, description: 'One page of payments.' })
  @ApiProjectNotFound()
  @ApiListingValidation('project_id, test_mode', PAYMENT_STATUS_FILTERS)
  payments(
    @OwnedProject() project: ProjectRecord,
    // Spelled out, not the StripeMode alias: ts-jest compiles files alone and would record its metadata as Object.
    @Query('test_mode', StripeModePipe) mode: 'test' | 'live',
    @Query('status', paymentStatusQuery) status: string | null,
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<StripePaymentListResponse> {
    return this.billing.projectPayments(project, mode, status, { page, pageSize });
  }
}
