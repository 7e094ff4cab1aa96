import { RateLimitExceededException } from '#libs/http-errors';
import type { RateLimitOutcome } from './rate-limiter.js';

/** `response.header(name, value)`: on Express responses and Fastify replies alike. */
export interface HeaderSink {
  header(name: string, value: string): unknown;
}

/** The limits already counted for each request (a route can have several, e.g. per address and per user). */
const outcomesByRequest = new WeakMap<object, RateLimitOutcome[]>();

/**
 * Records `outcome` for the request, reports the most restrictive limit counted so far in the X-RateLimit-* headers,
 * and refuses with 429 (Retry-After, `{"detail", "retry_after"}`) when this limit is exceeded.
 */
export function enforceRateLimit(
  request: object,
  response: HeaderSink,
  outcome: RateLimitOutcome,
  detail: (retryAfterSeconds: number) => string,
): void {
  const outcomes = [...(outcomesByRequest.get(request) ?? []), outcome];
  outcomesByRequest.set(request, outcomes);
  const shown = mostRestrictive(outcomes);
  response.header('X-RateLimit-Limit', String(shown.limit));
  response.header('X-RateLimit-Remaining', String(shown.remaining));
  response.header('X-RateLimit-Reset', String(shown.resetAt));
  if (!outcome.allowed) {
    throw new RateLimitExceededException(detail(outcome.retryAfterSeconds), outcome.retryAfterSeconds);
  }
}

/** A refused limit first, then the one with the fewest requests left, then the one that resets last. */
export function mostRestrictive(outcomes: readonly RateLimitOutcome[]): RateLimitOutcome {
  return outcomes.reduce((shown, candidate) => {
    if (shown.allowed !== candidate.allowed) return shown.allowed ? candidate : shown;
    if (shown.remaining !== candidate.remaining) return candidate.remaining < shown.remaining ? candidate : shown;
    return candidate.resetAt > shown.resetAt ? candidate : shown;
  });
}
