import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { SqlStatement } from '#libs/database';
import { PrismaService } from '../../database/src/prisma.service.js';
import { ENTITLED_SUBSCRIPTION_STATUSES, SUCCESSFUL_PAYMENT_STATUSES } from './statuses.js';

/** Which records a listing shows; an absent (null) filter shows them all. */
export interface ReportScope {
  /** Only this developer's projects; null when the caller has already resolved `projectId` to one of theirs. */
  ownerId: string | null;
  projectId: string | null;
  mode: StripeMode | null;
  status: string | null;
}

export interface ReportPageRequest {
  page: number;
  pageSize: number;
}

/** A subscription as the developer listings show it. */
export interface SubscriptionListing {
  id: string;
  projectId: string;
  projectName: string;
  mode: StripeMode;
  userId: string | null;
  stripeSubscriptionId: string;
  stripeCustomerId: string;
  status: string;
  planName: string | null;
  quantity: number;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAt: Date | null;
  canceledAt: Date | null;
  createdAt: Date;
  priceId: string | null;
  cancelAtPeriodEnd: boolean;
  pastDueSince: Date | null;
  /** The project's grace for a past_due subscription, for isEntitled (0 without a configuration). */
  pastDueGraceDays: number;
}

/** A payment as the developer listings show it. */
export interface PaymentListing {
  id: string;
  projectId: string;
  projectName: string;
  mode: StripeMode;
  userId: string | null;
  subscriptionId: string | null;
  paymentIntentId: string;
  status: string;
  amountCents: number;
  currency: string;
  description: string | null;
  refundedAmountCents: number;
  createdAt: Date;
}

/** One page, newest first, and how many records match in all. */
export interface ReportPage<Row> {
  rows: Row[];
  total: number;
}

/** One currency's share of the successful payments: amounts in different currencies are never added together. */
export interface CurrencyRevenue {
  currency: string;
  successfulPayments: number;
  revenueCents: number;
  /** What was refunded of those payments: revenue less this is what was kept. */
  refundedCents: number;
}

export interface BillingStats {
  totalProjects: number;
  projectsWithConfig: number;
  projectsWithTest: number;
  projectsWithLive: number;
  totalSubscriptions: number;
  activeSubscriptions: number;
  totalPayments: number;
  successfulPayments: number;
  /** Most successful payments first (then most revenue, then by code), so the first is the headline currency. */
  revenueByCurrency: CurrencyRevenue[];
}

const SUBSCRIPTION_COLUMNS = `r.id, r.project_id, r.mode, r.user_id, r.stripe_subscription_id, r.stripe_customer_id,
       r.status, r.plan_name, r.quantity, r.current_period_start, r.current_period_end, r.cancel_at, r.canceled_at,
       r.created_at, r.price_id, r.cancel_at_period_end, r.past_due_since,
       COALESCE((SELECT c.past_due_grace_days FROM stripe_configs c WHERE c.project_id = r.project_id), 0)
         AS past_due_grace_days`;
const PAYMENT_COLUMNS = `r.id, r.project_id, r.mode, r.user_id, r.subscription_id, r.payment_intent_id, r.status,
       r.amount_cents, r.currency, r.description, r.refunded_amount_cents, r.created_at`;

/** The status sets are constants of this library, never input: safe to write into the statement. */
const sqlList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

interface ListingRow {
  /** Null when the scope names a project the owner does not have. */
  owned: number | null;
  total: number;
  id: string | null;
}

/**
 * A listing's one statement: the page, its total and (for a developer's filter on one project) whether that project
 * is theirs, in one round trip. Each combination of filters is its own named statement, so every one gets a plan that
 * uses its index instead of one generic plan with `$n IS NULL OR ...` conditions. Exported for the bench's EXPLAIN.
 */
export function listingStatement(
  table: 'subscriptions' | 'payments',
  scope: ReportScope,
  page: ReportPageRequest,
): SqlStatement {
  const values: (string | number)[] = [];
  const parameter = (value: string | number, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const conditions: string[] = [];
  let owner = '';
  if (scope.ownerId !== null) owner = parameter(scope.ownerId, 'uuid');
  const project = scope.projectId === null ? '' : parameter(scope.projectId, 'uuid');
  if (project) conditions.push(`r.project_id = ${project}`);
  if (owner) conditions.push(`p.owner_id = ${owner}`);
  if (scope.mode !== null) conditions.push(`r.mode = ${parameter(scope.mode, '"StripeMode"')}`);
  if (scope.status !== null) conditions.push(`r.status = ${parameter(scope.status, 'text')}`);
  const from = `${table} r JOIN projects p ON p.id = r.project_id`;
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const columns = table === 'subscriptions' ? SUBSCRIPTION_COLUMNS : PAYMENT_COLUMNS;
  const limit = parameter(page.pageSize, 'int');
  const offset = parameter((page.page - 1) * page.pageSize, 'bigint');
  const owned =
    owner && project ? `(SELECT count(*) FROM projects WHERE id = ${project} AND owner_id = ${owner})::int` : 'NULL';
  const name = [
    'billing_report',
    table,
    owner ? 'owner' : '',
    project ? 'project' : '',
    scope.mode === null ? '' : 'mode',
    scope.status === null ? '' : 'status',
  ]
    .filter(Boolean)
    .join('_');
  // The outer LEFT JOIN keeps one row (with the total) when the page is empty.
  const text = `
    WITH page AS (
      SELECT ${columns}, p.name AS project_name
        FROM ${from} ${where}
       ORDER BY r.created_at DESC, r.id DESC
       LIMIT ${limit} OFFSET ${offset}
    )
    SELECT ${owned} AS owned, (SELECT count(*) FROM ${from} ${where})::int AS total, page.*
      FROM (SELECT 1) AS one LEFT JOIN page ON true
     ORDER BY page.created_at DESC, page.id DESC`;
  return { name, text, values };
}

// $1 owner. `liveOnly` adds the mode condition; each variant is its own named statement. The counts name the owner's
// projects in a subquery of their own (not through the CTE), so the planner sees how many there are and counts from
// the (project, mode, status...) indexes alone. Exported for the bench's EXPLAIN.
export function statsStatement(ownerId: string, liveOnly: boolean): SqlStatement {
  const scope = `project_id IN (SELECT id FROM projects WHERE owner_id = $1::uuid)${liveOnly ? ` AND mode = 'live'` : ''}`;
  const successful = `status IN (${sqlList(SUCCESSFUL_PAYMENT_STATUSES)})`;
  const text = `
    WITH owned AS (
      SELECT c.project_id IS NOT NULL AS configured, c.test_secret_key_enc IS NOT NULL AS has_test,
             c.live_secret_key_enc IS NOT NULL AS has_live
        FROM projects p LEFT JOIN stripe_configs c ON c.project_id = p.id
       WHERE p.owner_id = $1::uuid
    ), subscription_counts AS (
      SELECT count(*)::int AS total,
             (count(*) FILTER (WHERE status IN (${sqlList(ENTITLED_SUBSCRIPTION_STATUSES)})))::int AS active
        FROM subscriptions WHERE ${scope}
    ), by_currency AS (
      SELECT currency, count(*)::int AS payments, (count(*) FILTER (WHERE ${successful}))::int AS successful,
             COALESCE(sum(amount_cents) FILTER (WHERE ${successful}), 0)::bigint AS revenue,
             COALESCE(sum(refunded_amount_cents) FILTER (WHERE ${successful}), 0)::bigint AS refunded
        FROM payments WHERE ${scope}
       GROUP BY currency
    )
    SELECT (SELECT count(*) FROM owned)::int AS total_projects,
           (SELECT count(*) FILTER (WHERE configured) FROM owned)::int AS projects_with_config,
           (SELECT count(*) FILTER (WHERE has_test) FROM owned)::int AS projects_with_test,
           (SELECT count(*) FILTER (WHERE has_live) FROM owned)::int AS projects_with_live,
           s.total AS total_subscriptions, s.active AS active_subscriptions,
           c.currency, c.payments, c.successful, c.revenue, c.refunded
      FROM subscription_counts s LEFT JOIN by_currency c ON true
     ORDER BY c.successful DESC, c.revenue DESC, c.currency`;
  return { name: liveOnly ? 'billing_stats_live' : 'billing_stats_all', text, values: [ownerId] };
}

/**
 * What a developer reads of their projects' billing: listings and figures over the subscriptions and payments
 * webhooks keep, computed by the database (indexes, COUNT, SUM), never by loading records into the process.
 */
@Injectable()
export class BillingReportsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Null when the scope's project is not the owner's (someone else's and a missing one look the same). */
  async subscriptions(scope: ReportScope, page: ReportPageRequest): Promise<ReportPage<SubscriptionListing> | null> {
    const rows = await this.prisma.queryRows<ListingRow & Record<string, unknown>>(
      listingStatement('subscriptions', scope, page),
    );
    return pageOf(rows, (row) => ({
      id: row.id as string,
      projectId: row.project_id as string,
      projectName: row.project_name as string,
      mode: row.mode as StripeMode,
      userId: row.user_id as string | null,
      stripeSubscriptionId: row.stripe_subscription_id as string,
      stripeCustomerId: row.stripe_customer_id as string,
      status: row.status as string,
      planName: row.plan_name as string | null,
      quantity: row.quantity as number,
      currentPeriodStart: row.current_period_start as Date | null,
      currentPeriodEnd: row.current_period_end as Date | null,
      cancelAt: row.cancel_at as Date | null,
      canceledAt: row.canceled_at as Date | null,
      createdAt: row.created_at as Date,
      priceId: row.price_id as string | null,
      cancelAtPeriodEnd: row.cancel_at_period_end as boolean,
      pastDueSince: row.past_due_since as Date | null,
      pastDueGraceDays: row.past_due_grace_days as number,
    }));
  }

  /** Null when the scope's project is not the owner's (someone else's and a missing one look the same). */
  async payments(scope: ReportScope, page: ReportPageRequest): Promise<ReportPage<PaymentListing> | null> {
    const rows = await this.prisma.queryRows<ListingRow & Record<string, unknown>>(
      listingStatement('payments', scope, page),
    );
    return pageOf(rows, (row) => ({
      id: row.id as string,
      projectId: row.project_id as string,
      projectName: row.project_name as string,
      mode: row.mode as StripeMode,
      userId: row.user_id as string | null,
      subscriptionId: row.subscription_id as string | null,
      paymentIntentId: row.payment_intent_id as string,
      status: row.status as string,
      amountCents: row.amount_cents as number,
      currency: row.currency as string,
      description: row.description as string | null,
      refundedAmountCents: row.refunded_amount_cents as number,
      createdAt: row.created_at as Date,
    }));
  }

  /** The owner's figures over every project of theirs: live records only, or test and live together. */
  async stats(ownerId: string, liveOnly: boolean): Promise<BillingStats> {
    const rows = await this.prisma.queryRows<StatsRow>(statsStatement(ownerId, liveOnly));
    const [first] = rows;
    // No payments at all leaves one row whose currency columns are null.
    const currencies = rows.filter((row): row is StatsRow & CurrencyColumns => row.currency !== null);
    return {
      totalProjects: first.total_projects,
      projectsWithConfig: first.projects_with_config,
      projectsWithTest: first.projects_with_test,
      projectsWithLive: first.projects_with_live,
      totalSubscriptions: first.total_subscriptions,
      activeSubscriptions: first.active_subscriptions,
      totalPayments: currencies.reduce((sum, row) => sum + row.payments, 0),
      successfulPayments: currencies.reduce((sum, row) => sum + row.successful, 0),
      revenueByCurrency: currencies
        .filter((row) => row.successful > 0)
        // bigint arrives as a string; a sum of int cents stays far below 2^53.
        .map((row) => ({
          currency: row.currency,
          successfulPayments: row.successful,
          revenueCents: Number(row.revenue),
          refundedCents: Number(row.refunded),
        })),
    };
  }
}

interface CurrencyColumns {
  currency: string;
  payments: number;
  successful: number;
  revenue: string;
  refunded: string;
}

type StatsRow = {
  total_projects: number;
  projects_with_config: number;
  projects_with_test: number;
  projects_with_live: number;
  total_subscriptions: number;
  active_subscriptions: number;
} & (CurrencyColumns | { [column in keyof CurrencyColumns]: null });

function pageOf<Row>(
  rows: (ListingRow & Record<string, unknown>)[],
  toListing: (row: Record<string, unknown>) => Row,
): ReportPage<Row> | null {
  const [first] = rows;
  if (first.owned === 0) return null;
  return { rows: rows.filter((row) => row.id !== null).map(toListing), total: first.total };
}
