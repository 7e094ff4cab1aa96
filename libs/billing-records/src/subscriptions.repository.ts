import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';

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

/**
 * Subscriptions as Stripe last said they were. Writes happen inside the caller's transaction (a webhook event's), and
 * a snapshot never replaces one fetched later than itself, whatever order deliveries arrive in.
 */
@Injectable()
export class SubscriptionsRepository {
  /**
   * Inserts or updates the subscription; its user is whoever the project links its customer to (kept when that link
   * is gone). `past_due_since` starts when the status becomes past_due and holds while it stays so. A snapshot equal
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
                CASE WHEN ${s.status} = 'past_due' THEN ${s.fetchedAt}::timestamptz END,
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
