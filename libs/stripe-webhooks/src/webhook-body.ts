import type { RawBodyRoute } from '#libs/http-errors';

/** Stripe's events are far smaller; anything larger is not one. */
export const WEBHOOK_BODY_LIMIT_BYTES = 1_048_576;

/** The webhook endpoint receives its body as the exact bytes sent: the signature covers them, not a re-encoding. */
export const WEBHOOK_RAW_BODY_ROUTE: RawBodyRoute = {
  pathPrefix: '/api/v1/payments/stripe/webhooks/',
  limitBytes: WEBHOOK_BODY_LIMIT_BYTES,
};
