import { readdirSync, readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { StripeBulkheadFullError } from './project-bulkhead.js';
import { StripeBudgetExceededError } from './stripe-call.js';
import { classifyStripeFailure, redactKeys } from './stripe-errors.js';

const { errors } = Stripe;

describe('classifyStripeFailure', () => {
  it('keeps Stripe’s code and parameter of an invalid request, with its message redacted', () => {
    const error = new errors.StripeInvalidRequestError({
      message: "No such price: 'price_123' (key sk_test_abc123)",
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'line_items[0][price]',
      statusCode: 400,
    });
    expect(classifyStripeFailure(error)).toEqual({
      outcome: 'invalid_request',
      code: 'resource_missing',
      param: 'line_items[0][price]',
      message: "No such price: 'price_123' (key [redacted key])",
    });
  });

  it('carries no Stripe message for anything but an invalid request', () => {
    const error = new errors.StripeAuthenticationError({
      message: 'Invalid API Key provided: sk_test_51HxYz',
      type: 'invalid_request_error',
      statusCode: 401,
    });
    expect(classifyStripeFailure(error)).toEqual({ outcome: 'authentication_error' });
  });

  it('names the budget that ran out', () => {
    expect(classifyStripeFailure(new StripeBudgetExceededError(8000))).toEqual({ outcome: 'timeout', budgetMs: 8000 });
  });

  it('says nothing more of a full bulkhead or of an error that is not Stripe’s', () => {
    expect(classifyStripeFailure(new StripeBulkheadFullError(20))).toEqual({ outcome: 'bulkhead_full' });
    expect(classifyStripeFailure(new Error('sk_test_abc123 socket hang up'))).toEqual({ outcome: 'other_error' });
    expect(classifyStripeFailure(undefined)).toEqual({ outcome: 'other_error' });
  });

  it('names the class of an unexpected Stripe error, and its code', () => {
    const error = new errors.StripeCardError({
      message: 'Your card was declined.',
      type: 'card_error',
      code: 'card_declined',
      statusCode: 402,
    });
    expect(classifyStripeFailure(error)).toEqual({
      outcome: 'other_error',
      code: 'card_declined',
      stripeErrorType: 'StripeCardError',
    });
  });

  it('tells a key still in use by another request (Stripe’s 409) from an outage', () => {
    // What stripe-node raises for Stripe's 409: an API error carrying the code.
    const error = new errors.StripeAPIError({
      message:
        'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): checkout-abc. Please try again later.',
      type: 'invalid_request_error',
      code: 'idempotency_key_in_use',
      statusCode: 409,
      headers: { 'retry-after': '3' },
    });
    expect(classifyStripeFailure(error)).toEqual({
      outcome: 'idempotency_key_in_use',
      code: 'idempotency_key_in_use',
      retryAfterSeconds: 3,
    });
  });

  describe('Retry-After', () => {
    const rateLimited = (headers?: Record<string, string>) =>
      new errors.StripeRateLimitError({ message: 'Request rate limit exceeded.', statusCode: 429, headers });

    it.each([
      ['1', 1],
      ['7', 7],
      ['300', 300],
    ])('keeps Stripe’s %p', (value, seconds) => {
      expect(classifyStripeFailure(rateLimited({ 'retry-after': value }))).toEqual({
        outcome: 'rate_limited',
        retryAfterSeconds: seconds,
      });
    });

    it.each(['0', '-5', '301', '86400', 'soon', '', 'Wed, 21 Oct 2015 07:28:00 GMT'])(
      'leaves out the unusable %p',
      (value) => {
        expect(classifyStripeFailure(rateLimited({ 'retry-after': value }))).toEqual({ outcome: 'rate_limited' });
      },
    );

    it('leaves it out when Stripe sent none', () => {
      expect(classifyStripeFailure(rateLimited())).toEqual({ outcome: 'rate_limited' });
      expect(classifyStripeFailure(rateLimited({ 'request-id': 'req_123' }))).toEqual({ outcome: 'rate_limited' });
    });

    it('keeps it on an outage too', () => {
      const error = new errors.StripeAPIError({ message: 'busy', statusCode: 503, headers: { 'retry-after': '30' } });
      expect(classifyStripeFailure(error)).toEqual({ outcome: 'server_error', retryAfterSeconds: 30 });
    });
  });
});

describe('redactKeys', () => {
  it.each([
    ['sk_test_abc123', '[redacted key]'],
    ['sk_live_****1234', '[redacted key]'],
    ['pk_test_51Abc', '[redacted key]'],
    ['rk_live_XyZ', '[redacted key]'],
    ['whsec_abc', '[redacted key]'],
    ['key=sk_test_abc123.', 'key=[redacted key].'],
    ["'sk_live_abc' and sk_test_def", "'[redacted key]' and [redacted key]"],
    ['api_key_sk_test_abc123', 'api_key_[redacted key]'],
    ['sk_test_abc…1234', '[redacted key]'],
  ])('redacts %p', (input, output) => {
    expect(redactKeys(input)).toBe(output);
  });

  it.each(['No such customer: cus_123', 'sk_prod_abc', 'price_test_123', 'desk_testing', ''])(
    'leaves %p unchanged',
    (input) => {
      expect(redactKeys(input)).toBe(input);
    },
  );
});

describe('libs/stripe', () => {
  it('knows nothing of HTTP: answering a failure is the HTTP layer’s job (libs/stripe-http)', () => {
    const directory = new URL('.', import.meta.url);
    const sources = readdirSync(directory).filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'));
    expect(sources).toContain('stripe-errors.ts');
    const httpAware = sources.filter((name) =>
      /#libs\/http-errors|Exception\b|HttpStatus/.test(readFileSync(new URL(name, directory), 'utf8')),
    );
    expect(httpAware).toEqual([]);
  });
});
