import type { HttpException } from '@nestjs/common';
import Stripe from 'stripe';
import { classifyStripeFailure } from '#libs/stripe';
import { answerStripeFailure } from '#libs/stripe-http';
import { subscriptionChangeFailures } from './subscription-stripe-failures.js';

const NONE = 'No active subscription to update';

function answer(error: unknown): { status: number; body: unknown } {
  const exception: HttpException = answerStripeFailure(
    classifyStripeFailure(error),
    'test',
    subscriptionChangeFailures(NONE),
  );
  return { status: exception.getStatus(), body: exception.getResponse() };
}

const invalidRequest = (raw: { message: string; code?: string; param?: string; statusCode?: number }) =>
  new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', statusCode: 400, ...raw });

describe("a subscription change's answers to Stripe's refusals", () => {
  it('answers 404 with the operation’s detail when Stripe no longer knows the subscription', () => {
    const error = invalidRequest({
      message: "No such subscription: 'sub_1'",
      code: 'resource_missing',
      param: 'id',
      statusCode: 404,
    });
    expect(answer(error)).toEqual({ status: 404, body: { detail: NONE } });
  });

  it.each([
    'A canceled subscription can only update its cancellation_details and metadata.',
    'You cannot update a subscription that is `canceled` or `incomplete_expired`.',
  ])('answers 404 when Stripe says the subscription has ended: %s', (message) => {
    expect(answer(invalidRequest({ message }))).toEqual({ status: 404, body: { detail: NONE } });
  });

  it("answers 400 with Stripe's words when it refuses the item's price", () => {
    const error = invalidRequest({ message: 'The price specified is inactive.', param: 'items[0][price]' });
    expect(answer(error)).toEqual({
      status: 400,
      body: { detail: 'Stripe refused the price: The price specified is inactive.' },
    });
  });

  it('names the permissions a restricted key needs for subscription changes', () => {
    const error = new Stripe.errors.StripePermissionError({ message: 'no permission', type: 'invalid_request_error' });
    expect(answer(error)).toEqual({
      status: 502,
      body: {
        detail:
          "The project's test mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to Subscriptions and read access to Prices and Invoices",
      },
    });
  });

  it('leaves any other invalid request to the shared table (502)', () => {
    const error = invalidRequest({ message: 'Invalid integer: x', param: 'items[0][quantity]' });
    expect(answer(error).status).toBe(502);
  });
});
