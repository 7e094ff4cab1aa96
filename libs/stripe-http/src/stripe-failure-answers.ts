import { BadRequestException, ConflictException, HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import {
  Issue,
  RequestValidationException,
  ServiceUnavailableRetryException,
  type ValidationIssue,
} from '#libs/http-errors';
import type { StripeFailure, StripeFailureOutcome } from '#libs/stripe';

export const BULKHEAD_FULL_DETAIL = 'Too many Stripe requests in flight for this project; try again shortly';
export const STRIPE_UNAVAILABLE_DETAIL = 'Stripe is temporarily unavailable; try again shortly';

/** 502: Stripe refused the project's configuration; the detail tells its developer what to fix. */
export class StripeConfigurationException extends HttpException {
  constructor(detail: string) {
    super({ detail }, HttpStatus.BAD_GATEWAY);
  }
}

/** A fixed sentence, or one worded from the failure and the project's mode. */
export type Wording = string | ((failure: StripeFailure, mode: StripeMode) => string);

/** The HTTP answer to a Stripe failure. */
export type StripeFailureAnswer =
  | { status: 400 | 404 | 409 | 502; detail: Wording }
  // `retryAfter` is used when Stripe sent no usable Retry-After of its own.
  | { status: 503; detail: Wording; retryAfter: number }
  // The reference's 422 shape: one value_error at `loc`, the request field that carried what Stripe refused.
  | { status: 422; loc: ValidationIssue['loc']; reason: Wording };

/** An operation's own answer to some failures; `code`, `param` and `message` narrow it, when given. */
export interface StripeFailureOverride {
  outcome: StripeFailureOutcome;
  code?: string;
  param?: string;
  /** Tested against the redacted message of an invalid request. */
  message?: RegExp;
  answer: StripeFailureAnswer;
}

/** Every Stripe failure's answer, unless the operation declares an override for it. */
export const STRIPE_FAILURE_ANSWERS: Readonly<Record<StripeFailureOutcome, StripeFailureAnswer>> = {
  timeout: {
    status: 503,
    detail: ({ budgetMs }) => `Stripe did not answer within ${budgetMs} ms; try again shortly`,
    retryAfter: 2,
  },
  // Slots free up as the project's calls finish; a short wait is enough.
  bulkhead_full: { status: 503, detail: BULKHEAD_FULL_DETAIL, retryAfter: 1 },
  rate_limited: {
    status: 503,
    detail: 'Stripe is rate limiting requests for this project; try again shortly',
    retryAfter: 2,
  },
  connection_error: { status: 503, detail: 'Stripe could not be reached; try again shortly', retryAfter: 2 },
  server_error: { status: 503, detail: STRIPE_UNAVAILABLE_DETAIL, retryAfter: 5 },
  authentication_error: {
    status: 502,
    detail: (_failure, mode) =>
      `Stripe rejected the project's ${mode} mode secret key (invalid, expired or revoked); update the project's Stripe configuration`,
  },
  permission_error: {
    status: 502,
    detail: (_failure, mode) =>
      `The project's ${mode} mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to the Customer portal`,
  },
  idempotency_error: {
    status: 409,
    detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
  },
  // The first request with the key finishes within moments; then the retry gets its answer.
  idempotency_key_in_use: {
    status: 503,
    detail: 'A request with the same Idempotency-Key is still in progress; try again shortly',
    retryAfter: 1,
  },
  invalid_request: {
    status: 502,
    detail: ({ param, message }) => `Stripe rejected the request${param ? ` (parameter: ${param})` : ''}: ${message}`,
  },
  other_error: {
    status: 502,
    detail: ({ stripeErrorType }) =>
      stripeErrorType === undefined
        ? 'Unexpected failure while calling Stripe'
        : `Stripe returned an unexpected ${stripeErrorType}`,
  },
};

/** The exception that answers `failure`: the operation's first matching override, else the table's row. */
export function answerStripeFailure(
  failure: StripeFailure,
  mode: StripeMode,
  overrides: readonly StripeFailureOverride[] = [],
): HttpException {
  const answer =
    overrides.find((override) => matches(override, failure))?.answer ?? STRIPE_FAILURE_ANSWERS[failure.outcome];
  const word = (wording: Wording) => (typeof wording === 'string' ? wording : wording(failure, mode));
  switch (answer.status) {
    case 400:
      return new BadRequestException({ detail: word(answer.detail) });
    case 404:
      return new NotFoundException({ detail: word(answer.detail) });
    case 409:
      return new ConflictException({ detail: word(answer.detail) });
    case 422:
      return RequestValidationException.at(answer.loc, Issue.valueError(word(answer.reason)));
    case 502:
      return new StripeConfigurationException(word(answer.detail));
    case 503:
      return new ServiceUnavailableRetryException(word(answer.detail), failure.retryAfterSeconds ?? answer.retryAfter);
  }
}

function matches(override: StripeFailureOverride, failure: StripeFailure): boolean {
  return (
    override.outcome === failure.outcome &&
    (override.code === undefined || override.code === failure.code) &&
    (override.param === undefined || override.param === failure.param) &&
    (override.message === undefined || (failure.message !== undefined && override.message.test(failure.message)))
  );
}
