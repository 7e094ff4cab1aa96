import type { StripeFailureOverride } from '#libs/stripe-http';

/** Restricted keys: the permission changing subscriptions needs, instead of the portal's wording. */
const PERMISSION_FAILURE: StripeFailureOverride = {
  outcome: 'permission_error',
  answer: {
    status: 502,
    detail: (_failure, mode) =>
      `The project's ${mode} mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to Subscriptions and read access to Prices and Invoices`,
  },
};

/** Stripe's refusal of a change to a subscription that has ended (canceled, or expired before its first payment). */
export const ENDED_SUBSCRIPTION_REFUSAL = /canceled subscription|incomplete_expired/i;

/**
 * A change to the user's subscription: Stripe no longer knowing it, or saying it has ended (the webhook that says so
 * may still be on its way), is the same answer as having none; the rest is the shared table's.
 */
export function subscriptionChangeFailures(noSubscriptionDetail: string): StripeFailureOverride[] {
  const none = { status: 404, detail: noSubscriptionDetail } as const;
  return [
    { outcome: 'invalid_request', code: 'resource_missing', param: 'id', answer: none },
    { outcome: 'invalid_request', message: ENDED_SUBSCRIPTION_REFUSAL, answer: none },
    {
      outcome: 'invalid_request',
      param: 'items[0][price]',
      answer: { status: 400, detail: ({ message }) => `Stripe refused the price: ${message}` },
    },
    PERMISSION_FAILURE,
  ];
}
