import Stripe from 'stripe';
import { classifyStripeFailure } from '#libs/stripe';
import { answerStripeFailure } from '#libs/stripe-http';
import { checkoutSessionFailures } from './checkout-stripe-failures.js';

const refused = (message: string, param?: string, code?: string) =>
  new Stripe.errors.StripeInvalidRequestError({
    message,
    type: 'invalid_request_error',
    statusCode: 400,
    ...(param && { param }),
    ...(code && { code }),
  });
const answer = (error: unknown, checkoutMode: 'subscription' | 'payment', mode: 'test' | 'live' = 'test') => {
  const exception = answerStripeFailure(classifyStripeFailure(error), mode, checkoutSessionFailures(checkoutMode));
  return { status: exception.getStatus(), body: exception.getResponse() };
};
const atPrice = (reason: string) => ({
  status: 422,
  body: { detail: [{ loc: ['body', 'price_id'], msg: `Value error, ${reason}`, type: 'value_error' }] },
});

describe('checkoutSessionFailures', () => {
  const PRICE = 'line_items[0][price]';

  it.each(['test', 'live'] as const)('answers an unknown price 422 at price_id, naming the %s mode', (mode) => {
    expect(answer(refused("No such price: 'price_x'", PRICE, 'resource_missing'), 'subscription', mode)).toEqual(
      atPrice(`no such price in this project's Stripe ${mode} mode account`),
    );
  });

  it('answers an inactive price 422', () => {
    const error = refused('The price specified is inactive. This field only accepts active prices.', PRICE);
    expect(answer(error, 'subscription')).toEqual(atPrice('the price is inactive; only active prices can be bought'));
  });

  it('answers a price of the wrong kind for the mode 422, saying which', () => {
    const oneTime = refused(
      'You must provide at least one recurring price in `subscription` mode when using prices.',
      PRICE,
    );
    const recurring = refused(
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      PRICE,
    );
    expect(answer(oneTime, 'subscription')).toEqual(
      atPrice("the price is a one-time price; mode 'subscription' needs a recurring price"),
    );
    expect(answer(recurring, 'payment')).toEqual(
      atPrice("the price is recurring; mode 'payment' needs a one-time price (or use mode 'subscription')"),
    );
  });

  it("answers any other refusal of the price 422 with Stripe's (redacted) words", () => {
    const error = refused('This price cannot be used with key sk_test_abc123.', PRICE);
    expect(answer(error, 'payment')).toEqual(
      atPrice('Stripe refused the price: This price cannot be used with key [redacted key].'),
    );
  });

  it("leaves other parameters to the shared table's 502", () => {
    const error = refused("No such customer: 'cus_x'", 'customer', 'resource_missing');
    expect(answer(error, 'subscription')).toEqual({
      status: 502,
      body: { detail: "Stripe rejected the request (parameter: customer): No such customer: 'cus_x'" },
    });
  });

  it('words a missing permission for checkout, not for the portal', () => {
    const error = new Stripe.errors.StripePermissionError({ message: 'no', statusCode: 403 });
    expect(answer(error, 'subscription', 'live')).toEqual({
      status: 502,
      body: {
        detail:
          "The project's live mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to Checkout Sessions and Customers",
      },
    });
  });
});
