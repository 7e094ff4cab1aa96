import { jest } from '@jest/globals';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { RequestRateLimiter } from './rate-limiter.js';

const start = 1_700_000_000_000; // a whole second
const seconds = (at: number) => Math.ceil(at / 1000);

function memoryLimiter(points: number, durationSeconds = 60): RequestRateLimiter {
  const policy = { name: 'test', points, durationSeconds };
  return new RequestRateLimiter(
    policy,
    new RateLimiterMemory({ keyPrefix: 'test', points, duration: durationSeconds }),
  );
}

describe('RequestRateLimiter (in memory)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: start });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('allows `points` requests in a window, then refuses until the window ends', async () => {
    const limiter = memoryLimiter(3);
    const allowed = [];
    for (let call = 0; call < 3; call += 1) {
      allowed.push(await limiter.consume('dev'));
      jest.advanceTimersByTime(1000);
    }
    expect(allowed).toEqual(
      [0, 1, 2].map((call) => ({
        allowed: true,
        limit: 3,
        remaining: 2 - call,
        resetAt: seconds(start + 60_000),
        retryAfterSeconds: 60 - call,
      })),
    );

    jest.advanceTimersByTime(27_000); // 30 s into the window
    expect(await limiter.consume('dev')).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      resetAt: seconds(start + 60_000),
      retryAfterSeconds: 30,
    });
  });

  it('uses a fixed window: refused requests do not extend it, and the whole budget returns when it ends', async () => {
    const limiter = memoryLimiter(2);
    await limiter.consume('dev');
    jest.advanceTimersByTime(50_000);
    await limiter.consume('dev');
    for (let call = 0; call < 5; call += 1) expect((await limiter.consume('dev')).allowed).toBe(false);

    jest.advanceTimersByTime(9_999);
    expect(await limiter.consume('dev')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    jest.advanceTimersByTime(1);
    expect(await limiter.consume('dev')).toEqual({
      allowed: true,
      limit: 2,
      remaining: 1,
      resetAt: seconds(start + 120_000),
      retryAfterSeconds: 60,
    });
    expect((await limiter.consume('dev')).remaining).toBe(0);
  });

  it('counts each key separately', async () => {
    const limiter = memoryLimiter(1);
    expect((await limiter.consume('a')).allowed).toBe(true);
    expect((await limiter.consume('a')).allowed).toBe(false);
    expect(await limiter.consume('b')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('reports the reset as a Unix time and a retry delay of at least one second', async () => {
    const limiter = memoryLimiter(1);
    await limiter.consume('a');
    jest.advanceTimersByTime(59_900);
    expect(await limiter.consume('a')).toEqual({
      allowed: false,
      limit: 1,
      remaining: 0,
      resetAt: seconds(start + 60_000),
      retryAfterSeconds: 1,
    });
  });
});
