import { NO_CUSTOMER_DETAIL } from '#libs/projects';
import type { StripeFailureOverride } from '#libs/stripe-http';

/** The portal's answers beyond the shared table of Stripe failures. */
export const PORTAL_SESSION_FAILURES: readonly StripeFailureOverride[] = [
  // The stored customer is gone from Stripe: the mapping is stale, the same answer as having none.
  {
    outcome: 'invalid_request',
    code: 'resource_missing',
    param: 'customer',
    answer: { status: 404, detail: NO_CUSTOMER_DETAIL },
  },
  {
    outcome: 'invalid_request',
    message: /default configuration has not been created/i,
    answer: {
      status: 502,
      detail: (_failure, mode) =>
        `The Stripe Customer Portal is not set up for the project's ${mode} mode; save the portal settings in the Stripe Dashboard (Settings > Billing > Customer portal) or store a portal configuration id`,
    },
  },
];
