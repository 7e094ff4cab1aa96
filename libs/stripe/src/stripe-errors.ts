import Stripe from 'stripe';
import { StripeBulkheadFullError } from './project-bulkhead.js';
import { StripeBudgetExceededError } from './stripe-call.js';

// No word boundary: a key glued to other text (e.g. `api_key_sk_test_...`) must be caught too.
const KEY_PATTERN = /(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*…]+|whsec_[A-Za-z0-9*…]+/g;

/** Stripe sometimes quotes (masked) keys in messages; none of it leaves this service. */
export function redactKeys(message: string): string {
  return message.replace(KEY_PATTERN, '[redacted key]');
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
  | 'idempotency_key_in_use'
  | 'invalid_request'
  | 'bulkhead_full'
  | 'other_error';

export type StripeFailureOutcome = Exclude<StripeCallOutcome, 'success'>;

/**
 * A failed Stripe call as a plain value: the metrics label it by `outcome`, the HTTP layer answers it from its table.
 * It carries no key and no Stripe message except the redacted one of an invalid request.
 */
export interface StripeFailure {
  readonly outcome: StripeFailureOutcome;
  /** Stripe's error code (e.g. `resource_missing`), when Stripe sent one. */
  readonly code?: string;
  /** The request parameter Stripe blamed (e.g. `customer`, `line_items[0][price]`), when it named one. */
  readonly param?: string;
  /** Stripe's `Retry-After` in seconds, when it sent a usable one (1 to 300). */
  readonly retryAfterSeconds?: number;
  /** The budget that ran out (`timeout`). */
  readonly budgetMs?: number;
  /** Stripe's message with keys redacted (`invalid_request` only): fit to show the project's developer. */
  readonly message?: string;
  /** The class of a Stripe error this service does not expect (`other_error`), e.g. `StripeCardError`. */
  readonly stripeErrorType?: string;
}

/** Classifies whatever a Stripe call threw; the order matters (e.g. a 5xx is an outage whatever its class). */
export function classifyStripeFailure(error: unknown): StripeFailure {
  if (error instanceof StripeBudgetExceededError) return { outcome: 'timeout', budgetMs: error.budgetMs };
  // Refused before reaching Stripe: the project already had its cap of calls in flight.
  if (error instanceof StripeBulkheadFullError) return { outcome: 'bulkhead_full' };
  if (!(error instanceof Stripe.errors.StripeError)) return { outcome: 'other_error' };
  const outcome = stripeErrorOutcome(error);
  const retryAfter = retryAfterSeconds(error);
  return {
    outcome,
    ...(error.code !== undefined && { code: error.code }),
    ...(error.param !== undefined && { param: error.param }),
    ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }),
    ...(outcome === 'invalid_request' && { message: redactKeys(error.message) }),
    ...(outcome === 'other_error' && { stripeErrorType: error.type }),
  };
}

function stripeErrorOutcome(error: InstanceType<typeof Stripe.errors.StripeError>): StripeFailureOutcome {
  if (error instanceof Stripe.errors.StripeAuthenticationError) return 'authentication_error';
  if (error instanceof Stripe.errors.StripePermissionError) return 'permission_error';
  if (error instanceof Stripe.errors.StripeIdempotencyError) return 'idempotency_error';
  // Stripe's 409 while another request with the same Idempotency-Key is still running: transient, not an outage.
  if (error.code === 'idempotency_key_in_use') return 'idempotency_key_in_use';
  if (error instanceof Stripe.errors.StripeRateLimitError) return 'rate_limited';
  if (error instanceof Stripe.errors.StripeConnectionError) return 'connection_error';
  if (error instanceof Stripe.errors.StripeAPIError || (error.statusCode ?? 0) >= 500) return 'server_error';
  if (error instanceof Stripe.errors.StripeInvalidRequestError) return 'invalid_request';
  return 'other_error';
}

function retryAfterSeconds(error: InstanceType<typeof Stripe.errors.StripeError>): number | undefined {
  const header = error.headers?.['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number.parseInt(String(header), 10);
  return Number.isFinite(seconds) && seconds > 0 && seconds <= 300 ? seconds : undefined;
}
