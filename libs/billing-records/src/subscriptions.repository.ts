import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
import type { Subscription } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { NOT_ENDED_SUBSCRIPTION_STATUSES } from './statuses.js';

/** A subscription as Stripe said it was when it was fetched. */
export interface SubscriptionSnapshot {
  stripeSubscriptionId: string;
  stripeCustomerId: string;
  status: string;
  priceId: string | null;
  planName: string | null;
  quantity: number;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAt: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  trialEnd: Date | null;
  endedAt: Date | null;
  /** Stripe's `created`. */
  createdAt: Date;
  /** When it was read from Stripe. */
  fetchedAt: Date;
}

/** What a save did to the stored subscription; `unchanged` also when the record holds a later fetch than the save. */
export type SaveOutcome = 'created' | 'updated' | 'unchanged';

/** The user's current subscription, and the project's grace for a past_due one (0 without a configuration). */
export interface CurrentSubscription {
  subscription: Subscription;
  pastDueGraceDays: number;
}

interface CurrentSubscriptionRow {
  id: string;
  project_id: string;
  mode: StripeMode;
  user_id: string | null;
  stripe_subscription_id: string;
  stripe_customer_id: string;
  status: string;
  price_id: string | null;
  plan_name: string | null;
  quantity: number;
  current_period_start: Date | null;
  current_period_end: Date | null;
  cancel_at: Date | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  trial_end: Date | null;
  ended_at: Date | null;
  past_due_since: Date | null;
  created_at: Date;
  fetched_at: Date;
  updated_at: Date;
  past_due_grace_days: number;
}

/** The current-subscription lookup per mode, as named prepared statements (parsed and planned once per connection). */
export const CURRENT_SUBSCRIPTION_SQL = {
  test: { name: 'current_subscription_test', text: currentSubscriptionSql('test') },
  live: { name: 'current_subscription_live', text: currentSubscriptionSql('live') },
} as const;

/**
 * $1 project, $2 user. The user's newest subscription that has not ended, on the (project, mode, user, created_at)
 * index; the id breaks ties. The grace days come along so my-subscription stays one round trip.
 */
function currentSubscriptionSql(mode: StripeMode): string {
  const notEnded = NOT_ENDED_SUBSCRIPTION_STATUSES.map((status) => `'${status}'`).join(', ');
  return `
    SELECT s.id, s.project_id, s.mode, s.user_id, s.stripe_subscription_id, s.stripe_customer_id, s.status,
           s.price_id, s.plan_name, s.quantity, s.current_period_start, s.current_period_end, s.cancel_at,
           s.cancel_at_period_end, s.canceled_at, s.trial_end, s.ended_at, s.past_due_since, s.created_at,
           s.fetched_at, s.updated_at,
           COALESCE((SELECT c.past_due_grace_days FROM stripe_configs c WHERE c.project_id = s.project_id), 0)
             AS past_due_grace_days
      FROM subscriptions s
     WHERE s.project_id = $1::uuid AND s.mode = '${mode}' AND s.user_id = $2::uuid AND s.status IN (${notEnded})
     ORDER BY s.created_at DESC, s.id DESC
     LIMIT 1`;
}

/**
 * Subscriptions as Stripe last said they were. Writes happen inside the caller's transaction (a webhook event's), and
 * a snapshot never replaces one fetched later than itself, whatever order deliveries arrive in.
 */
@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The user's subscription in the project and mode: their newest one that has not ended. Every end-user operation
   * on "my subscription" reads it here, so they never disagree about which one it is.
   */
  async findCurrentForUser(projectId: string, mode: StripeMode, userId: string): Promise<CurrentSubscription | null> {
    const [row] = await this.prisma.queryRows<CurrentSubscriptionRow>({
      ...CURRENT_SUBSCRIPTION_SQL[mode],
      values: [projectId, userId],
    });
    if (!row) return null;
    return { subscription: toSubscription(row), pastDueGraceDays: row.past_due_grace_days };
  }

  /** save() on its own, outside any transaction: a change the service itself asked Stripe for, as Stripe answered. */
  async record(projectId: string, mode: StripeMode, snapshot: SubscriptionSnapshot): Promise<void> {
    await this.save(this.prisma, projectId, mode, snapshot);
  }

  /**
   * Inserts or updates the subscription; its user is whoever the project links its customer to (kept when that link
   * is gone). `past_due_since` starts when the status becomes past_due and holds while it stays so; first seen
   * past_due, it is the current period's start if that is earlier than the fetch (a renewal's invoice fails when its
   * period begins), so a webhook days late, or a sync, never starts a fresh grace period. A snapshot equal
   * to the record still moves its `fetched_at` forward (an older fetch must not win later), and counts as unchanged.
   */
  async save(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    snapshot: SubscriptionSnapshot,
  ): Promise<SaveOutcome> {
    const s = snapshot;
    // Every statement of the query reads one snapshot of the table: `previous` is the row before the upsert.
    const [{ outcome }] = await tx.$queryRaw<{ outcome: SaveOutcome }[]>`
      WITH previous AS (
        SELECT user_id, stripe_customer_id, status, price_id, plan_name, quantity, current_period_start,
               current_period_end, cancel_at, cancel_at_period_end, canceled_at, trial_end, ended_at, past_due_since,
               created_at
          FROM subscriptions
         WHERE project_id = ${projectId}::uuid AND mode = ${mode}::"StripeMode"
           AND stripe_subscription_id = ${s.stripeSubscriptionId}
      ), saved AS (
        INSERT INTO subscriptions (id, project_id, mode, user_id, stripe_subscription_id, stripe_customer_id, status,
                                   price_id, plan_name, quantity, current_period_start, current_period_end, cancel_at,
                                   cancel_at_period_end, canceled_at, trial_end, ended_at, past_due_since, created_at,
                                   fetched_at, updated_at)
        VALUES (gen_random_uuid(), ${projectId}::uuid, ${mode}::"StripeMode",
                (SELECT user_id FROM stripe_customers
                  WHERE project_id = ${projectId}::uuid AND mode = ${mode}::"StripeMode"
                    AND stripe_customer_id = ${s.stripeCustomerId}),
                ${s.stripeSubscriptionId}, ${s.stripeCustomerId}, ${s.status}, ${s.priceId}, ${s.planName},
                ${s.quantity}::int, ${s.currentPeriodStart}::timestamptz, ${s.currentPeriodEnd}::timestamptz,
                ${s.cancelAt}::timestamptz, ${s.cancelAtPeriodEnd}, ${s.canceledAt}::timestamptz,
                ${s.trialEnd}::timestamptz, ${s.endedAt}::timestamptz,
                CASE WHEN ${s.status} = 'past_due'
                     THEN LEAST(${s.fetchedAt}::timestamptz, ${s.currentPeriodStart}::timestamptz) END,
                ${s.createdAt}::timestamptz, ${s.fetchedAt}::timestamptz, now())
        ON CONFLICT (project_id, mode, stripe_subscription_id) DO UPDATE
           SET user_id = COALESCE(EXCLUDED.user_id, subscriptions.user_id),
               stripe_customer_id = EXCLUDED.stripe_customer_id,
               status = EXCLUDED.status,
               price_id = EXCLUDED.price_id,
               plan_name = EXCLUDED.plan_name,
               quantity = EXCLUDED.quantity,
               current_period_start = EXCLUDED.current_period_start,
               current_period_end = EXCLUDED.current_period_end,
               cancel_at = EXCLUDED.cancel_at,
               cancel_at_period_end = EXCLUDED.cancel_at_period_end,
               canceled_at = EXCLUDED.canceled_at,
               trial_end = EXCLUDED.trial_end,
               ended_at = EXCLUDED.ended_at,
               past_due_since = CASE
                 WHEN EXCLUDED.status <> 'past_due' THEN NULL
                 WHEN subscriptions.status = 'past_due' THEN subscriptions.past_due_since
                 ELSE EXCLUDED.past_due_since END,
               created_at = EXCLUDED.created_at,
               fetched_at = EXCLUDED.fetched_at,
               updated_at = now()
         WHERE subscriptions.fetched_at <= EXCLUDED.fetched_at
        RETURNING user_id, stripe_customer_id, status, price_id, plan_name, quantity, current_period_start,
                  current_period_end, cancel_at, cancel_at_period_end, canceled_at, trial_end, ended_at,
                  past_due_since, created_at
      )
      SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM saved) THEN 'unchanged'
        WHEN NOT EXISTS (SELECT 1 FROM previous) THEN 'created'
        WHEN EXISTS (SELECT 1 FROM previous p, saved n
                      WHERE (p.user_id, p.stripe_customer_id, p.status, p.price_id, p.plan_name, p.quantity,
                             p.current_period_start, p.current_period_end, p.cancel_at, p.cancel_at_period_end,
                             p.canceled_at, p.trial_end, p.ended_at, p.past_due_since, p.created_at)
                            IS NOT DISTINCT FROM
                            (n.user_id, n.stripe_customer_id, n.status, n.price_id, n.plan_name, n.quantity,
                             n.current_period_start, n.current_period_end, n.cancel_at, n.cancel_at_period_end,
                             n.canceled_at, n.trial_end, n.ended_at, n.past_due_since, n.created_at))
          THEN 'unchanged'
        ELSE 'updated' END AS outcome`;
    return outcome;
  }

  /** Gives a customer's subscriptions that belong to no user yet to the user a checkout just linked it to. */
  async assignUser(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    stripeCustomerId: string,
    userId: string,
  ): Promise<void> {
    await tx.subscription.updateMany({
      where: { projectId, mode, stripeCustomerId, userId: null },
      data: { userId },
    });
  }
}

function toSubscription(row: CurrentSubscriptionRow): Subscription {
  return {
    id: row.id,
    projectId: row.project_id,
    mode: row.mode,
    userId: row.user_id,
    stripeSubscriptionId: row.stripe_subscription_id,
    stripeCustomerId: row.stripe_customer_id,
    status: row.status,
    priceId: row.price_id,
    planName: row.plan_name,
    quantity: row.quantity,
    currentPeriodStart: row.current_period_start,
    currentPeriodEnd: row.current_period_end,
    cancelAt: row.cancel_at,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    canceledAt: row.canceled_at,
    trialEnd: row.trial_end,
    endedAt: row.ended_at,
    pastDueSince: row.past_due_since,
    createdAt: row.created_at,
    fetchedAt: row.fetched_at,
    updatedAt: row.updated_at,
  };
}
