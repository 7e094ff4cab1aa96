import { Injectable } from '@nestjs/common';
import type { Principal } from '#libs/auth';
import {
  BillingReportsRepository,
  type ReportPage,
  type ReportPageRequest,
  type ReportScope,
} from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import { toPaymentResponse, type StripePaymentListResponse } from '#libs/end-user-billing';
import { ProjectNotFound, type ProjectRecord } from '#libs/projects';
import {
  toAggregatedPaymentResponse,
  toAggregatedSubscriptionResponse,
  toStatsResponse,
  toListedSubscriptionResponse,
  type AggregatedPaymentListResponse,
  type AggregatedSubscriptionListResponse,
  type PaymentStatsResponse,
  type StripeSubscriptionListResponse,
} from './billing.dto.js';

/** The filters of the cross-project listings; null shows everything of the developer's. */
export interface DeveloperBillingFilter {
  projectId: string | null;
  mode: StripeMode | null;
  status: string | null;
}

/** What a developer sees of their projects' subscriptions and payments, from the records webhooks keep. */
@Injectable()
export class DeveloperBillingService {
  constructor(private readonly reports: BillingReportsRepository) {}

  async projectSubscriptions(
    project: ProjectRecord,
    mode: StripeMode,
    status: string | null,
    page: ReportPageRequest,
  ): Promise<StripeSubscriptionListResponse> {
    const found = await this.reports.subscriptions({ ownerId: null, projectId: project.id, mode, status }, page);
    const { rows, total } = existing(found);
    const now = new Date();
    return {
      subscriptions: rows.map((row) => toListedSubscriptionResponse(row, now)),
      total,
      page: page.page,
      page_size: page.pageSize,
    };
  }

  async projectPayments(
    project: ProjectRecord,
    mode: StripeMode,
    status: string | null,
    page: ReportPageRequest,
  ): Promise<StripePaymentListResponse> {
    const found = await this.reports.payments({ ownerId: null, projectId: project.id, mode, status }, page);
    const { rows, total } = existing(found);
    return { payments: rows.map(toPaymentResponse), total, page: page.page, page_size: page.pageSize };
  }

  async subscriptions(
    developer: Principal,
    filter: DeveloperBillingFilter,
    page: ReportPageRequest,
  ): Promise<AggregatedSubscriptionListResponse> {
    const { rows, total } = existing(await this.reports.subscriptions(scopeOf(developer, filter), page));
    const now = new Date();
    return {
      subscriptions: rows.map((row) => toAggregatedSubscriptionResponse(row, now)),
      total,
      page: page.page,
      page_size: page.pageSize,
    };
  }

  async transactions(
    developer: Principal,
    filter: DeveloperBillingFilter,
    page: ReportPageRequest,
  ): Promise<AggregatedPaymentListResponse> {
    const { rows, total } = existing(await this.reports.payments(scopeOf(developer, filter), page));
    return { payments: rows.map(toAggregatedPaymentResponse), total, page: page.page, page_size: page.pageSize };
  }

  /** `includeTest` false counts live records only; true counts test and live together (the reference's meaning). */
  async stats(developer: Principal, includeTest: boolean): Promise<PaymentStatsResponse> {
    return toStatsResponse(await this.reports.stats(developer.userId, !includeTest));
  }
}

function scopeOf(developer: Principal, filter: DeveloperBillingFilter): ReportScope {
  return { ownerId: developer.userId, ...filter };
}

/** A filter on a project that is not the developer's is the same 404 as a missing project. */
function existing<Row>(page: ReportPage<Row> | null): ReportPage<Row> {
  if (page === null) throw new ProjectNotFound();
  return page;
}
