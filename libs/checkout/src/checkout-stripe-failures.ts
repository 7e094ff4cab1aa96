import type { CheckoutMode } from '#libs/billing-records';
import type { StripeFailureOverride } from '#libs/stripe-http';

const PRICE_PARAM = 'line_items[0][price]';
const PRICE_FIELD = ['body', 'price_id'];

/** Checkout's restricted-key permissions, instead of the portal's wording in the shared table. */
export const CHECKOUT_PERMISSION_FAILURE: StripeFailureOverride = {
  outcome: 'permission_error',
  answer: {
    status: 502,
    detail: (_failure, mode) =>
      `The project's ${mode} mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to Checkout Sessions and Customers`,
  },
};

/**
 * Stripe's refusals of the price are the caller's to fix (422 at price_id), never the project's (502): prices are not
 * fetched beforehand, Stripe's answer to the session is the check.
 */
export function checkoutSessionFailures(checkoutMode: CheckoutMode): StripeFailureOverride[] {
  return [
    {
      outcome: 'invalid_request',
      code: 'resource_missing',
      param: PRICE_PARAM,
      answer: {
        status: 422,
        loc: PRICE_FIELD,
        reason: (_failure, mode) => `no such price in this project's Stripe ${mode} mode account`,
      },
    },
    {
      outcome: 'invalid_request',
      param: PRICE_PARAM,
      message: /inactive/i,
      answer: { status: 422, loc: PRICE_FIELD, reason: 'the price is inactive; only active prices can be bought' },
    },
    {
      outcome: 'invalid_request',
      param: PRICE_PARAM,
      message: /recurring price/i,
      answer: {
        status: 422,
        loc: PRICE_FIELD,
        reason:
          checkoutMode === 'subscription'
            ? "the price is a one-time price; mode 'subscription' needs a recurring price"
            : "the price is recurring; mode 'payment' needs a one-time price (or use mode 'subscription')",
      },
    },
    {
      outcome: 'invalid_request',
      param: PRICE_PARAM,
      answer: { status: 422, loc: PRICE_FIELD, reason: ({ message }) => `Stripe refused the price: ${message}` },
    },
    CHECKOUT_PERMISSION_FAILURE,
  ];
}
