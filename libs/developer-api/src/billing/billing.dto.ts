import { ApiProperty } from '@nestjs/swagger';
import { isEntitled, type BillingStats, type PaymentListing, type SubscriptionListing } from '#libs/billing-records';
import {
  StripePaymentResponse,
  StripeSubscriptionResponse,
  toPaymentResponse,
  toSubscriptionResponse,
} from '#libs/end-user-billing';

/** Paginated list of Stripe subscriptions, as the reference's `StripeSubscriptionListResponse`. */
export class StripeSubscriptionListResponse {
  @ApiProperty({ type: [StripeSubscriptionResponse], title: 'Subscriptions' })
  subscriptions: StripeSubscriptionResponse[];

  @ApiProperty({ type: 'integer', title: 'Total', description: 'Subscriptions in all, across every page.' })
  total: number;

  @ApiProperty({ type: 'integer', title: 'Page' })
  page: number;

  @ApiProperty({ type: 'integer', title: 'Page Size' })
  page_size: number;
}

/** Subscription with project info and provider, as the reference's `AggregatedSubscriptionResponse`. */
export class AggregatedSubscriptionResponse extends StripeSubscriptionResponse {
  @ApiProperty({ title: 'Project Name' })
  project_name: string;

  @ApiProperty({ title: 'Provider', default: 'stripe', required: false })
  provider: string;
}

/** Paginated list of subscriptions across projects, as the reference's `AggregatedSubscriptionListResponse`. */
export class AggregatedSubscriptionListResponse {
  @ApiProperty({ type: [AggregatedSubscriptionResponse], title: 'Subscriptions' })
  subscriptions: AggregatedSubscriptionResponse[];

  @ApiProperty({ type: 'integer', title: 'Total', description: 'Matching subscriptions in all, across every page.' })
  total: number;

  @ApiProperty({ type: 'integer', title: 'Page' })
  page: number;

  @ApiProperty({ type: 'integer', title: 'Page Size' })
  page_size: number;
}

/** Payment with project info and provider, as the reference's `AggregatedPaymentResponse`. */
export class AggregatedPaymentResponse extends StripePaymentResponse {
  @ApiProperty({ title: 'Project Name' })
  project_name: string;

  @ApiProperty({ title: 'Provider', default: 'stripe', required: false })
  provider: string;
}

/** Paginated list of payments across projects, as the reference's `AggregatedPaymentListResponse`. */
export class AggregatedPaymentListResponse {
  @ApiProperty({ type: [AggregatedPaymentResponse], title: 'Payments' })
  payments: AggregatedPaymentResponse[];

  @ApiProperty({ type: 'integer', title: 'Total', description: 'Matching payments in all, across every page.' })
  total: number;

  @ApiProperty({ type: 'integer', title: 'Page' })
  page: number;

  @ApiProperty({ type: 'integer', title: 'Page Size' })
  page_size: number;
}

/** Extension: one currency's successful payments and revenue. */
export class CurrencyRevenueResponse {
  @ApiProperty({ title: 'Currency', example: 'usd' })
  currency: string;

  @ApiProperty({ type: 'integer', title: 'Successful Payments' })
  successful_payments: number;

  @ApiProperty({ type: 'integer', title: 'Revenue Cents', description: "The successful payments' amounts, added." })
  revenue_cents: number;

  @ApiProperty({
    type: 'integer',
    title: 'Refunded Cents',
    description: 'What was refunded of those payments, in part or in full: `revenue_cents` less this is what was kept.',
  })
  refunded_cents: number;
}

/** Aggregated payment statistics, as the reference's `PaymentStatsResponse`, plus `revenue_by_currency`. */
export class PaymentStatsResponse {
  @ApiProperty({ type: 'integer', title: 'Total Projects', description: "The developer's projects." })
  total_projects: number;

  @ApiProperty({ type: 'integer', title: 'Projects With Config', description: 'Projects with a Stripe configuration.' })
  projects_with_config: number;

  @ApiProperty({ type: 'integer', title: 'Projects With Test', description: 'Projects with a test secret key.' })
  projects_with_test: number;

  @ApiProperty({ type: 'integer', title: 'Projects With Live', description: 'Projects with a live secret key.' })
  projects_with_live: number;

  @ApiProperty({ type: 'integer', title: 'Total Subscriptions' })
  total_subscriptions: number;

  @ApiProperty({ type: 'integer', title: 'Active Subscriptions', description: 'Status `active` or `trialing`.' })
  active_subscriptions: number;

  @ApiProperty({ type: 'integer', title: 'Total Payments', description: 'Payments of every status.' })
  total_payments: number;

  @ApiProperty({
    type: 'integer',
    title: 'Successful Payments',
    description: 'Status `succeeded`, or `refunded` (a payment that succeeded and was refunded later).',
  })
  successful_payments: number;

  @ApiProperty({
    type: 'integer',
    title: 'Total Revenue Cents',
    description:
      "The successful payments' amounts in `currency` only (refunds not deducted, as the reference counts them; " +
      "`revenue_by_currency` has each currency's `refunded_cents`); other currencies are in `revenue_by_currency`.",
  })
  total_revenue_cents: number;

  @ApiProperty({
    title: 'Currency',
    default: 'usd',
    required: false,
    description: 'The currency with the most successful payments (`usd` when there are none).',
  })
  currency: string;

  @ApiProperty({
    type: [CurrencyRevenueResponse],
    required: false,
    title: 'Revenue By Currency',
    description:
      'Extension: every currency with successful payments, most payments first (the first is `currency`), so ' +
      'amounts in different currencies are never added together.',
  })
  revenue_by_currency: CurrencyRevenueResponse[];
}

/** Stripe's currency when there is no successful payment to name one (the reference's default). */
const DEFAULT_CURRENCY = 'usd';

/** A listed subscription as my-subscription shows one, with the same entitlement rule. */
export function toListedSubscriptionResponse(subscription: SubscriptionListing, now: Date): StripeSubscriptionResponse {
  return toSubscriptionResponse(subscription, isEntitled(subscription, subscription.pastDueGraceDays, now));
}

export function toAggregatedSubscriptionResponse(
  subscription: SubscriptionListing,
  now: Date,
): AggregatedSubscriptionResponse {
  return {
    ...toListedSubscriptionResponse(subscription, now),
    project_name: subscription.projectName,
    provider: 'stripe',
  };
}

export function toAggregatedPaymentResponse(payment: PaymentListing): AggregatedPaymentResponse {
  return { ...toPaymentResponse(payment), project_name: payment.projectName, provider: 'stripe' };
}

export function toStatsResponse(stats: BillingStats): PaymentStatsResponse {
  const [headline] = stats.revenueByCurrency;
  return {
    total_projects: stats.totalProjects,
    projects_with_config: stats.projectsWithConfig,
    projects_with_test: stats.projectsWithTest,
    projects_with_live: stats.projectsWithLive,
    total_subscriptions: stats.totalSubscriptions,
    active_subscriptions: stats.activeSubscriptions,
    total_payments: stats.totalPayments,
    successful_payments: stats.successfulPayments,
    total_revenue_cents: headline?.revenueCents ?? 0,
    currency: headline?.currency ?? DEFAULT_CURRENCY,
    revenue_by_currency: stats.revenueByCurrency.map((entry) => ({
      currency: entry.currency,
      successful_payments: entry.successfulPayments,
      revenue_cents: entry.revenueCents,
      refunded_cents: entry.refundedCents,
    })),
  };
}
