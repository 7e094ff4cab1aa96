import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** A named limit: at most `points` requests per key in each fixed window of `durationSeconds`. */
export interface RateLimitPolicy {
  name: string;
  points: number;
  durationSeconds: number;
}

/** What one counted request learned: whether it may proceed, and what the X-RateLimit-* headers report. */
export interface RateLimitOutcome {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix time (seconds) when the current window ends and the count starts again. */
  resetAt: number;
  /** Seconds until then, at least 1 (the 429's Retry-After and retry_after). */
  retryAfterSeconds: number;
}

/** Decides whether the shared store is asked (a circuit breaker) and hears how each permitted call went. */
export interface SharedStoreGate {
  permits(): boolean;
  succeeded(): void;
  failed(error: unknown): void;
}

/** Where a request is counted when the shared store fails or is not asked: a per-process limiter, same policy. */
export interface CounterFallback {
  counters: RateLimiterAbstract;
  gate: SharedStoreGate;
  /** Told each time a request is counted in this process instead (a metric). */
  countedLocally(): void;
}

/** One policy over rate-limiter-flexible counters (in memory, or in Redis with an in-memory fallback). */
export class RequestRateLimiter {
  constructor(
    readonly policy: RateLimitPolicy,
    private readonly counters: RateLimiterAbstract,
    private readonly fallback?: CounterFallback,
  ) {}

  /** Counts one request for `key`; refused requests count too, so hammering does not shorten the wait. */
  async consume(key: string): Promise<RateLimitOutcome> {
    if (!this.fallback) return this.consumeIn(this.counters, key);
    const { gate } = this.fallback;
    if (gate.permits()) {
      try {
        const outcome = await this.consumeIn(this.counters, key);
        gate.succeeded();
        return outcome;
      } catch (error) {
        // Fail open: a store outage must not refuse or fail the request, so it is counted in this process instead.
        gate.failed(error);
      }
    }
    this.fallback.countedLocally();
    return this.consumeIn(this.fallback.counters, key);
  }

  private async consumeIn(counters: RateLimiterAbstract, key: string): Promise<RateLimitOutcome> {
    try {
      return outcomeOf(await counters.consume(key), true, this.policy.points);
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when over the limit; anything else is a store error.
      if (rejection instanceof RateLimiterRes) return outcomeOf(rejection, false, this.policy.points);
      throw rejection;
    }
  }
}

export function outcomeOf(result: RateLimiterRes, allowed: boolean, limit: number, now = Date.now()): RateLimitOutcome {
  const msBeforeReset = Math.max(0, result.msBeforeNext);
  return {
    allowed,
    limit,
    remaining: result.remainingPoints,
    resetAt: Math.ceil((now + msBeforeReset) / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil(msBeforeReset / 1000)),
  };
}
