import { SlidingWindowLimiter } from './credential-validation.rate-limit.js';

describe('SlidingWindowLimiter', () => {
  const start = 1_700_000_000_000;

  it('allows `limit` requests in a window, then refuses until the oldest one leaves it', () => {
    const limiter = new SlidingWindowLimiter(3, 60_000);
    expect([0, 1_000, 2_000].map((offset) => limiter.hit('dev', start + offset).remaining)).toEqual([2, 1, 0]);

    expect(limiter.hit('dev', start + 30_000)).toEqual({
      allowed: false,
      remaining: 0,
      resetAt: Math.ceil((start + 60_000) / 1000),
      retryAfterSeconds: 30,
    });
    // Refused requests are not counted: the first slot frees exactly when the first request is a minute old.
    expect(limiter.hit('dev', start + 59_999).allowed).toBe(false);
    expect(limiter.hit('dev', start + 60_000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.hit('dev', start + 60_500).allowed).toBe(false);
    expect(limiter.hit('dev', start + 61_000)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('counts each key separately', () => {
    const limiter = new SlidingWindowLimiter(1, 60_000);
    expect(limiter.hit('a', start).allowed).toBe(true);
    expect(limiter.hit('a', start + 1).allowed).toBe(false);
    expect(limiter.hit('b', start + 1).allowed).toBe(true);
  });

  it('reports the reset as a Unix time and a retry delay of at least one second', () => {
    const limiter = new SlidingWindowLimiter(1, 60_000);
    expect(limiter.hit('a', start)).toEqual({
      allowed: true,
      remaining: 0,
      resetAt: (start + 60_000) / 1000,
      retryAfterSeconds: 60,
    });
    expect(limiter.hit('a', start + 59_900).retryAfterSeconds).toBe(1);
  });
});
