import { BadRequestException, ConflictException, HttpException, NotFoundException } from '@nestjs/common';
import Stripe from 'stripe';
import type { StripeMode } from '#libs/config';
import { RequestValidationException, ServiceUnavailableRetryException } from '#libs/http-errors';
import { classifyStripeFailure, StripeBudgetExceededError, StripeBulkheadFullError } from '#libs/stripe';
import {
  answerStripeFailure,
  BULKHEAD_FULL_DETAIL,
  StripeConfigurationException,
  type StripeFailureOverride,
} from './stripe-failure-answers.js';

const { errors } = Stripe;

/** What a caller does with whatever its Stripe call threw. */
function toHttpException(
  error: unknown,
  mode: StripeMode,
  overrides: readonly StripeFailureOverride[] = [],
): HttpException {
  return answerStripeFailure(classifyStripeFailure(error), mode, overrides);
}

function expectRetryable(exception: HttpException, detail: string, retryAfterSeconds: number): void {
  expect(exception).toBeInstanceOf(ServiceUnavailableRetryException);
  expect(exception.getStatus()).toBe(503);
  expect(exception.getResponse()).toEqual({ detail });
  expect((exception as ServiceUnavailableRetryException).retryAfterSeconds).toBe(retryAfterSeconds);
}

function expectBadGateway(exception: HttpException, detail: string): void {
  expect(exception).toBeInstanceOf(StripeConfigurationException);
  expect(exception.getStatus()).toBe(502);
  expect(exception.getResponse()).toEqual({ detail });
}

describe('answerStripeFailure, from the table', () => {
  describe('authentication errors', () => {
    const key = 'sk_test_51HxYzAbCdEfGhIjKlMn';
    const message = `Invalid API Key provided: ${key}`;
    const error = new errors.StripeAuthenticationError({ message, type: 'invalid_request_error', statusCode: 401 });

    it.each(['test', 'live'] as const)(
      'answer 502 naming the %s mode key, without the key or Stripe’s message',
      (mode) => {
        const exception = toHttpException(error, mode);
        expectBadGateway(
          exception,
          `Stripe rejected the project's ${mode} mode secret key (invalid, expired or revoked); update the project's Stripe configuration`,
        );
        const serialized = JSON.stringify(exception.getResponse());
        expect(serialized).not.toContain(key);
        expect(serialized).not.toContain('sk_');
        expect(serialized).not.toContain('Invalid API Key provided');
        expect(exception.message).not.toContain(key);
      },
    );
  });

  it('maps a permission error to 502 telling the developer what to grant', () => {
    const error = new errors.StripePermissionError({
      message: 'The provided key rk_live_****1234 does not have the required permissions for this endpoint.',
      type: 'invalid_request_error',
      statusCode: 403,
    });
    const exception = toHttpException(error, 'live');
    expectBadGateway(
      exception,
      "The project's live mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to the Customer portal",
    );
    expect(JSON.stringify(exception.getResponse())).not.toContain('rk_live');
  });

  it('maps an idempotency error to 409', () => {
    const error = new errors.StripeIdempotencyError({
      message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      type: 'idempotency_error',
      statusCode: 400,
    });
    const exception = toHttpException(error, 'test');
    expect(exception).toBeInstanceOf(ConflictException);
    expect(exception.getStatus()).toBe(409);
    expect(exception.getResponse()).toEqual({
      detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
    });
  });

  describe('a key still in use by another request', () => {
    const detail = 'A request with the same Idempotency-Key is still in progress; try again shortly';
    const inUse = (headers?: Record<string, string>) =>
      new errors.StripeAPIError({
        message: 'There is currently another in-progress request using this Idempotent Key. Please try again later.',
        type: 'invalid_request_error',
        code: 'idempotency_key_in_use',
        statusCode: 409,
        headers,
      });

    it('answers 503 with 1 second, never the outage answer', () => {
      expectRetryable(toHttpException(inUse(), 'test'), detail, 1);
    });

    it('uses the Retry-After Stripe sent', () => {
      expectRetryable(toHttpException(inUse({ 'retry-after': '4' }), 'live'), detail, 4);
    });

    it('is the same answer for every operation that declares no override for it', () => {
      const overrides: StripeFailureOverride[] = [
        { outcome: 'invalid_request', code: 'resource_missing', answer: { status: 404, detail: 'gone' } },
      ];
      expectRetryable(toHttpException(inUse(), 'test', overrides), detail, 1);
    });
  });

  describe('rate limiting', () => {
    const detail = 'Stripe is rate limiting requests for this project; try again shortly';
    const rateLimited = (headers?: Record<string, string>) =>
      new errors.StripeRateLimitError({
        message: 'Request rate limit exceeded.',
        type: 'invalid_request_error',
        code: 'rate_limit',
        statusCode: 429,
        headers,
      });

    it('answers 503 with the Retry-After Stripe sent', () => {
      expectRetryable(toHttpException(rateLimited({ 'retry-after': '7' }), 'test'), detail, 7);
    });

    it('accepts the upper bound of 300 seconds', () => {
      expectRetryable(toHttpException(rateLimited({ 'retry-after': '300' }), 'test'), detail, 300);
    });

    it('answers 503 with 2 seconds when Stripe sent no Retry-After', () => {
      expectRetryable(toHttpException(rateLimited(), 'test'), detail, 2);
      expectRetryable(toHttpException(rateLimited({ 'request-id': 'req_123' }), 'test'), detail, 2);
    });

    it.each(['0', '-5', '301', '86400', 'soon', '', 'Wed, 21 Oct 2015 07:28:00 GMT'])(
      'ignores the unusable Retry-After %p and uses 2 seconds',
      (value) => {
        expectRetryable(toHttpException(rateLimited({ 'retry-after': value }), 'test'), detail, 2);
      },
    );
  });

  it('maps a connection error to 503 with 2 seconds', () => {
    const error = new errors.StripeConnectionError({
      message: 'An error occurred with our connection to Stripe. Request was retried 2 times.',
      type: 'api_error',
    });
    expectRetryable(toHttpException(error, 'test'), 'Stripe could not be reached; try again shortly', 2);
  });

  describe('Stripe outages', () => {
    const detail = 'Stripe is temporarily unavailable; try again shortly';

    it('maps an API error to 503 with 5 seconds', () => {
      const error = new errors.StripeAPIError({
        message: 'Something went wrong on Stripe’s end.',
        type: 'api_error',
        statusCode: 500,
      });
      expectRetryable(toHttpException(error, 'test'), detail, 5);
    });

    it('uses Stripe’s Retry-After on an API error', () => {
      const error = new errors.StripeAPIError({
        message: 'busy',
        type: 'api_error',
        statusCode: 503,
        headers: { 'retry-after': '30' },
      });
      expectRetryable(toHttpException(error, 'test'), detail, 30);
    });

    it.each([500, 502, 503, 504])('maps any other Stripe error with status %p to 503', (statusCode) => {
      const error = new errors.StripeInvalidRequestError({
        message: 'upstream failure',
        type: 'invalid_request_error',
        statusCode,
      });
      expectRetryable(toHttpException(error, 'test'), detail, 5);
    });
  });

  describe('invalid requests', () => {
    it('maps resource_missing to 502 naming the parameter', () => {
      const error = new errors.StripeInvalidRequestError({
        message: "No such customer: 'cus_123'",
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'customer',
        statusCode: 400,
      });
      expectBadGateway(
        toHttpException(error, 'test'),
        "Stripe rejected the request (parameter: customer): No such customer: 'cus_123'",
      );
    });

    it('passes on another invalid request message without a parameter', () => {
      const error = new errors.StripeInvalidRequestError({
        message: 'This customer has no subscriptions.',
        type: 'invalid_request_error',
        statusCode: 400,
      });
      expectBadGateway(
        toHttpException(error, 'test'),
        'Stripe rejected the request: This customer has no subscriptions.',
      );
    });

    it.each([
      [
        'a test key',
        'Invalid key sk_test_abc123 for this account',
        'Stripe rejected the request: Invalid key [redacted key] for this account',
      ],
      [
        'a masked live key',
        'The API key sk_live_****1234 cannot be used in test mode',
        'Stripe rejected the request: The API key [redacted key] cannot be used in test mode',
      ],
      [
        'a restricted key',
        'Key rk_test_51Abc is restricted',
        'Stripe rejected the request: Key [redacted key] is restricted',
      ],
      [
        'a webhook secret',
        'whsec_Zx9 is not valid here',
        'Stripe rejected the request: [redacted key] is not valid here',
      ],
      [
        'two keys',
        'sk_test_aaa and sk_live_bbb differ',
        'Stripe rejected the request: [redacted key] and [redacted key] differ',
      ],
    ])('redacts %s quoted in Stripe’s message', (_label, message, detail) => {
      const error = new errors.StripeInvalidRequestError({ message, type: 'invalid_request_error', statusCode: 400 });
      const exception = toHttpException(error, 'test');
      expectBadGateway(exception, detail);
      expect(JSON.stringify(exception.getResponse())).not.toMatch(/sk_|rk_|whsec_/);
    });
  });

  it('maps an exceeded budget to 503 naming the budget, with 2 seconds', () => {
    expectRetryable(
      toHttpException(new StripeBudgetExceededError(8000), 'test'),
      'Stripe did not answer within 8000 ms; try again shortly',
      2,
    );
  });

  it('maps a full bulkhead to 503 saying so, with 1 second', () => {
    expect(BULKHEAD_FULL_DETAIL).toBe('Too many Stripe requests in flight for this project; try again shortly');
    expectRetryable(toHttpException(new StripeBulkheadFullError(20), 'live'), BULKHEAD_FULL_DETAIL, 1);
  });

  it.each([
    ['a plain Error', new Error('sk_test_abc123 socket hang up')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'url')")],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['an object shaped like a Stripe error', { type: 'StripeAuthenticationError', statusCode: 401, message: 'x' }],
  ])('maps %s (not a Stripe error) to 502 without its message', (_label, error) => {
    const exception = toHttpException(error, 'test');
    expectBadGateway(exception, 'Unexpected failure while calling Stripe');
  });

  it('maps an unexpected Stripe error (a card error) to 502 naming only its class', () => {
    const error = new errors.StripeCardError({
      message: 'Your card was declined.',
      type: 'card_error',
      code: 'card_declined',
      statusCode: 402,
    });
    expectBadGateway(toHttpException(error, 'test'), 'Stripe returned an unexpected StripeCardError');
  });
});

describe('answerStripeFailure, with an operation’s overrides', () => {
  const missing = (param: string, code = 'resource_missing') =>
    new errors.StripeInvalidRequestError({
      message: `No such thing: '${param}'`,
      type: 'invalid_request_error',
      code,
      param,
      statusCode: 400,
    });

  it('uses the customer parameter the caller names', () => {
    const error = new errors.StripeInvalidRequestError({
      message: "No such customer: 'cus_123'",
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'customer_id',
      statusCode: 404,
    });
    const overrides: StripeFailureOverride[] = [
      {
        outcome: 'invalid_request',
        code: 'resource_missing',
        param: 'customer_id',
        answer: { status: 404, detail: 'No Stripe customer found for user' },
      },
    ];
    const exception = toHttpException(error, 'test', overrides);
    expect(exception).toBeInstanceOf(NotFoundException);
    expect(exception.getStatus()).toBe(404);
    expect(exception.getResponse()).toEqual({ detail: 'No Stripe customer found for user' });
    expectBadGateway(
      toHttpException(error, 'test'),
      "Stripe rejected the request (parameter: customer_id): No such customer: 'cus_123'",
    );
  });

  describe('checkout: an unknown price is the request’s fault', () => {
    const CHECKOUT: StripeFailureOverride[] = [
      {
        outcome: 'invalid_request',
        code: 'resource_missing',
        param: 'line_items[0][price]',
        answer: {
          status: 422,
          loc: ['body', 'price_id'],
          reason: (_failure, mode) => `no such price in this project's Stripe ${mode} mode account`,
        },
      },
    ];

    it.each(['test', 'live'] as const)('answers 422 at the price’s field (%s mode)', (mode) => {
      const exception = toHttpException(missing('line_items[0][price]'), mode, CHECKOUT);
      expect(exception).toBeInstanceOf(RequestValidationException);
      expect(exception.getStatus()).toBe(422);
      expect(exception.getResponse()).toEqual({
        detail: [
          {
            loc: ['body', 'price_id'],
            msg: `Value error, no such price in this project's Stripe ${mode} mode account`,
            type: 'value_error',
          },
        ],
      });
    });

    it('leaves resource_missing on another parameter, and another code on the price, to the table', () => {
      expectBadGateway(
        toHttpException(missing('customer'), 'test', CHECKOUT),
        "Stripe rejected the request (parameter: customer): No such thing: 'customer'",
      );
      expectBadGateway(
        toHttpException(missing('line_items[0][price]', 'price_inactive'), 'test', CHECKOUT),
        "Stripe rejected the request (parameter: line_items[0][price]): No such thing: 'line_items[0][price]'",
      );
    });
  });

  describe('update-subscription: an invalid price is a bad request', () => {
    const UPDATE: StripeFailureOverride[] = [
      {
        outcome: 'invalid_request',
        code: 'resource_missing',
        param: 'items[0][price]',
        answer: { status: 400, detail: 'Invalid price ID or incompatible plan' },
      },
    ];

    it('answers 400 with the detail it declares', () => {
      const exception = toHttpException(missing('items[0][price]'), 'live', UPDATE);
      expect(exception).toBeInstanceOf(BadRequestException);
      expect(exception.getStatus()).toBe(400);
      expect(exception.getResponse()).toEqual({ detail: 'Invalid price ID or incompatible plan' });
    });

    it('leaves other failures to the table', () => {
      expectBadGateway(
        toHttpException(missing('items[0][quantity]'), 'test', UPDATE),
        "Stripe rejected the request (parameter: items[0][quantity]): No such thing: 'items[0][quantity]'",
      );
      const rateLimited = new errors.StripeRateLimitError({ message: 'slow down', statusCode: 429 });
      expectRetryable(
        toHttpException(rateLimited, 'test', UPDATE),
        'Stripe is rate limiting requests for this project; try again shortly',
        2,
      );
    });
  });
});
