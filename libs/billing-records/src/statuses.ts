/**
 * The named status sets every reader and writer of subscriptions and payments shares: one place, so the checkout's
 * "already subscribed", the end user's subscription and the developer's figures never disagree.
 */

/** Every status Stripe gives a subscription. */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;

/** A subscription in one of these has not ended: it is the user's current subscription, payable or paid. */
export const NOT_ENDED_SUBSCRIPTION_STATUSES = ['active', 'trialing', 'past_due', 'unpaid', 'paused'] as const;

/** These grant access outright (past_due may, for a project's grace period). */
export const ENTITLED_SUBSCRIPTION_STATUSES = ['active', 'trialing'] as const;

/** Payment statuses this service writes. */
export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Payments that brought money in (a refunded one did, and its refund is counted apart). */
export const SUCCESSFUL_PAYMENT_STATUSES = ['succeeded', 'refunded'] as const satisfies readonly PaymentStatus[];

export function isNotEnded(status: string): boolean {
  return (NOT_ENDED_SUBSCRIPTION_STATUSES as readonly string[]).includes(status);
}

const DAY_MS = 86_400_000;

/**
 * Whether a subscription grants its user access now: `active` and `trialing` do; `past_due` does for the project's
 * grace days counted from when it became past_due; nothing else does. The one rule every app relies on.
 */
export function isEntitled(
  subscription: { status: string; pastDueSince: Date | null },
  pastDueGraceDays: number,
  now: Date,
): boolean {
  if ((ENTITLED_SUBSCRIPTION_STATUSES as readonly string[]).includes(subscription.status)) return true;
  if (subscription.status !== 'past_due' || subscription.pastDueSince === null || pastDueGraceDays <= 0) return false;
  return now.getTime() < subscription.pastDueSince.getTime() + pastDueGraceDays * DAY_MS;
}
