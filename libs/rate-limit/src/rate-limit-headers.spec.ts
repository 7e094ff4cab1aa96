import { HttpStatus } from '@nestjs/common';
import { RateLimitExceededException } from '#libs/http-errors';
import { enforceRateLimit, mostRestrictive } from './rate-limit-headers.js';
import type { RateLimitOutcome } from './rate-limiter.js';

const outcome = (overrides: Partial<RateLimitOutcome>): RateLimitOutcome => ({
  allowed: true,
  limit: 60,
  remaining: 59,
  resetAt: 1_700_000_060,
  retryAfterSeconds: 60,
  ...overrides,
});

/** A response with only `header(name, value)`, the one method the limiter uses (Express and Fastify both have it). */
class RecordingResponse {
  readonly headers = new Map<string, string>();
  header(name: string, value: string): this {
    this.headers.set(name, value);
    return this;
  }
}

describe('mostRestrictive', () => {
  it('prefers a refused limit, then fewer requests left, then the later reset', () => {
    const perAddress = outcome({ limit: 300, remaining: 299 });
    const perUser = outcome({ limit: 60, remaining: 59 });
    expect(mostRestrictive([perAddress, perUser])).toBe(perUser);
    expect(mostRestrictive([perUser, perAddress])).toBe(perUser);

    const refused = outcome({ allowed: false, limit: 300, remaining: 0, resetAt: 1_700_000_010 });
    const exhausted = outcome({ remaining: 0, resetAt: 1_700_000_050 });
    expect(mostRestrictive([exhausted, refused])).toBe(refused);

    const later = outcome({ remaining: 5, resetAt: 1_700_000_090 });
    expect(mostRestrictive([outcome({ remaining: 5 }), later])).toBe(later);
  });
});

describe('enforceRateLimit', () => {
  it('sets the three headers for an allowed request and lets it through', () => {
    const response = new RecordingResponse();
    enforceRateLimit({}, response, outcome({ remaining: 12 }), () => 'unused');
    expect(Object.fromEntries(response.headers)).toEqual({
      'X-RateLimit-Limit': '60',
      'X-RateLimit-Remaining': '12',
      'X-RateLimit-Reset': '1700000060',
    });
  });

  it('reports the most restrictive of the limits counted for the same request', () => {
    const request = {};
    const response = new RecordingResponse();
    enforceRateLimit(request, response, outcome({ limit: 300, remaining: 3, resetAt: 1_700_000_030 }), String);
    enforceRateLimit(request, response, outcome({ limit: 60, remaining: 40 }), String);
    expect(Object.fromEntries(response.headers)).toEqual({
      'X-RateLimit-Limit': '300',
      'X-RateLimit-Remaining': '3',
      'X-RateLimit-Reset': '1700000030',
    });

    // Another request starts afresh.
    const next = new RecordingResponse();
    enforceRateLimit({}, next, outcome({ limit: 60, remaining: 40 }), String);
    expect(next.headers.get('X-RateLimit-Remaining')).toBe('40');
  });

  it('throws a 429 with the detail, retry_after and Retry-After seconds of the refused limit', () => {
    const response = new RecordingResponse();
    const refused = outcome({ allowed: false, remaining: 0, retryAfterSeconds: 17, resetAt: 1_700_000_017 });
    let thrown: unknown;
    try {
      enforceRateLimit({}, response, refused, (seconds) => `Rate limit exceeded. Try again in ${seconds} seconds.`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RateLimitExceededException);
    const exception = thrown as RateLimitExceededException;
    expect(exception.getStatus()).toBe(HttpStatus.TOO_MANY_REQUESTS);
    expect(exception.getResponse()).toEqual({
      detail: 'Rate limit exceeded. Try again in 17 seconds.',
      retry_after: 17,
    });
    expect(exception.retryAfterSeconds).toBe(17);
    expect(Object.fromEntries(response.headers)).toEqual({
      'X-RateLimit-Limit': '60',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1700000017',
    });
  });
});
