import { ConflictException, HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import Stripe from 'stripe';
import type { StripeMode } from '#libs/config';
import { ServiceUnavailableRetryException } from '#libs/http-errors';
import { StripeBulkheadFullError } from './project-bulkhead.js';
import { StripeBudgetExceededError } from './stripe-call.js';

export const NO_CUSTOMER_DETAIL = 'No Stripe customer found for user';
export const BULKHEAD_FULL_DETAIL = 'Too many Stripe requests in flight for this project; try again shortly';

/** 502: Stripe refused the project's configuration; the detail tells its developer what to fix. */
export class StripeConfigurationException extends HttpException {
  constructor(detail: string) {
    super({ detail }, HttpStatus.BAD_GATEWAY);
  }
}

// No word boundary: a key glued to other text (e.g. `api_key_sk_test_...`) must be caught too.
const KEY_PATTERN = /(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*…]+|whsec_[A-Za-z0-9*…]+/g;

/** Stripe sometimes quotes (masked) keys in messages; none of it leaves this service. */
export function redactKeys(message: string): string {
  return message.replace(KEY_PATTERN, '[redacted key]');
}

/**
 * Maps a failed Stripe call to the documented status. `customerParam` names the request field that carries the
 * stored customer, so Stripe's resource_missing on it means the mapping is stale (404), not a misconfiguration.
 */
export function toHttpException(error: unknown, mode: StripeMode, customerParam = 'customer'): HttpException {
  if (error instanceof StripeBudgetExceededError) {
    return new ServiceUnavailableRetryException(
      `Stripe did not answer within ${error.budgetMs} ms; try again shortly`,
      2,
    );
  }
  if (error instanceof StripeBulkheadFullError) {
    // Slots free up as the project's calls finish; a short wait is enough.
    return new ServiceUnavailableRetryException(BULKHEAD_FULL_DETAIL, 1);
  }
  if (!(error instanceof Stripe.errors.StripeError)) {
    return new StripeConfigurationException('Unexpected failure while calling Stripe');
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    return new StripeConfigurationException(
      `Stripe rejected the project's ${mode} mode secret key (invalid, expired or revoked); update the project's Stripe configuration`,
    );
  }
  if (error instanceof Stripe.errors.StripePermissionError) {
    return new StripeConfigurationException(
      `The project's ${mode} mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to the Customer portal`,
    );
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new ConflictException({
      detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
    });
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return new ServiceUnavailableRetryException(
      'Stripe is rate limiting requests for this project; try again shortly',
      retryAfter(error, 2),
    );
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new ServiceUnavailableRetryException('Stripe could not be reached; try again shortly', 2);
  }
  if (error instanceof Stripe.errors.StripeAPIError || (error.statusCode ?? 0) >= 500) {
    return new ServiceUnavailableRetryException(
      'Stripe is temporarily unavailable; try again shortly',
      retryAfter(error, 5),
    );
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    if (error.code === 'resource_missing' && error.param === customerParam) {
      return new NotFoundException({ detail: NO_CUSTOMER_DETAIL });
    }
    if (/default configuration has not been created/i.test(error.message)) {
      return new StripeConfigurationException(
        `The Stripe Customer Portal is not set up for the project's ${mode} mode; save the portal settings in the Stripe Dashboard (Settings > Billing > Customer portal) or store a portal configuration id`,
      );
    }
    const param = error.param ? ` (parameter: ${error.param})` : '';
    return new StripeConfigurationException(`Stripe rejected the request${param}: ${redactKeys(error.message)}`);
  }
  return new StripeConfigurationException(`Stripe returned an unexpected ${error.type}`);
}

/** How a Stripe call ended, as the `outcome` label of the Stripe metrics: a fixed set, never Stripe's message. */
export type StripeCallOutcome =
  | 'success'
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'connection_error'
  | 'authentication_error'
  | 'permission_error'
  | 'idempotency_error'
  | 'invalid_request'
  | 'bulkhead_full'
  | 'other_error';

/** The outcome of a failed call; the same classes toHttpException maps to statuses. */
export function stripeCallOutcome(error: unknown): Exclude<StripeCallOutcome, 'success'> {
  if (error instanceof StripeBudgetExceededError) return 'timeout';
  // Refused before reaching Stripe: the project already had its cap of calls in flight.
  if (error instanceof StripeBulkheadFullError) return 'bulkhead_full';
  if (!(error instanceof Stripe.errors.StripeError)) return 'other_error';
  if (error instanceof Stripe.errors.StripeAuthenticationError) return 'authentication_error';
  if (error instanceof Stripe.errors.StripePermissionError) return 'permission_error';
  if (error instanceof Stripe.errors.StripeIdempotencyError) return 'idempotency_error';
  if (error instanceof Stripe.errors.StripeRateLimitError) return 'rate_limited';
  if (error instanceof Stripe.errors.StripeConnectionError) return 'connection_error';
  if (error instanceof Stripe.errors.StripeAPIError || (error.statusCode ?? 0) >= 500) return 'server_error';
  if (error instanceof Stripe.errors.StripeInvalidRequestError) return 'invalid_request';
  return 'other_error';
}

function retryAfter(error: InstanceType<typeof Stripe.errors.StripeError>, fallback: number): number {
  const header = error.headers?.['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number.parseInt(String(header), 10);
  return Number.isFinite(seconds) && seconds > 0 && seconds <= 300 ? seconds : fallback;
}
