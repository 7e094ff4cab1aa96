import { jest } from '@jest/globals';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { CircuitBreaker } from './circuit-breaker.js';
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

const COMMAND_TIMEOUT_MS = 250;
// Captured before the fake timers replace it: lets every queued promise callback run while the clock stands still.
const realSetImmediate = setImmediate;
const BACKOFF_MS = 5000;

/** Shared counters that can stall like a paused Redis: each call then fails after the command timeout. */
class StallableStore extends RateLimiterMemory {
  stalled = false;
  calls = 0;

  override consume(key: string | number, points?: number): Promise<RateLimiterRes> {
    this.calls += 1;
    if (!this.stalled) return super.consume(key, points);
    return new Promise((_, reject) => setTimeout(() => reject(new Error('Command timed out')), COMMAND_TIMEOUT_MS));
  }
}

describe('RequestRateLimiter (shared store behind a circuit breaker)', () => {
  let shared: StallableStore;
  let breaker: CircuitBreaker;
  let limiter: RequestRateLimiter;
  let countedLocally: number;
  const transitions: string[] = [];

  /** Whether `pending` settles once every queued callback has run, without the clock moving. */
  const settlesNow = async (pending: Promise<unknown>): Promise<boolean> => {
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((resolve) => realSetImmediate(resolve));
    return settled;
  };
  /** The outcome of a call that did not wait on the store. */
  const immediately = async <T>(pending: Promise<T>): Promise<T> => {
    expect(await settlesNow(pending)).toBe(true);
    return pending;
  };
  /** The outcome of a call that waited for the command timeout, no less. */
  const afterTimeout = async <T>(pending: Promise<T>): Promise<T> => {
    await jest.advanceTimersByTimeAsync(COMMAND_TIMEOUT_MS - 1);
    expect(await settlesNow(pending)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settlesNow(pending)).toBe(true);
    return pending;
  };

  beforeEach(() => {
    jest.useFakeTimers({ now: start });
    transitions.length = 0;
    countedLocally = 0;
    shared = new StallableStore({ keyPrefix: 'shared', points: 3, duration: 60 });
    breaker = new CircuitBreaker(BACKOFF_MS, {
      opened: (_, probe) => transitions.push(probe ? 'reopened' : 'opened'),
      closed: () => transitions.push('closed'),
    });
    limiter = new RequestRateLimiter({ name: 'test', points: 3, durationSeconds: 60 }, shared, {
      counters: new RateLimiterMemory({ keyPrefix: 'local', points: 3, duration: 60 }),
      gate: breaker,
      countedLocally: () => (countedLocally += 1),
    });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts in the shared store while it answers', async () => {
    expect((await immediately(limiter.consume('user'))).remaining).toBe(2);
    expect((await immediately(limiter.consume('user'))).remaining).toBe(1);
    expect(shared.calls).toBe(2);
    expect(countedLocally).toBe(0);
  });

  it('waits out one timeout when the store stalls, then counts locally at once without asking it', async () => {
    await limiter.consume('user');
    shared.stalled = true;

    const first = await afterTimeout(limiter.consume('user'));
    expect(breaker.state).toBe('open');
    const following = [];
    for (let call = 0; call < 3; call += 1) following.push(await immediately(limiter.consume('user')));

    // The shared count (1) is not known locally: the local window starts at 0 and still enforces the limit.
    expect([first, ...following].map(({ allowed, remaining }) => [allowed, remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(shared.calls).toBe(2);
    expect(countedLocally).toBe(4);
    expect(transitions).toEqual(['opened']);
  });

  it('opens for every limit sharing the breaker: a second limit does not wait again', async () => {
    const other = new RequestRateLimiter({ name: 'other', points: 5, durationSeconds: 60 }, shared, {
      counters: new RateLimiterMemory({ keyPrefix: 'other-local', points: 5, duration: 60 }),
      gate: breaker,
      countedLocally: () => (countedLocally += 1),
    });
    shared.stalled = true;

    await afterTimeout(limiter.consume('address'));
    expect((await immediately(other.consume('user'))).remaining).toBe(4);
    expect(shared.calls).toBe(1);
  });

  it('probes once after the back-off and returns to the shared store when the probe is answered', async () => {
    shared.stalled = true;
    await afterTimeout(limiter.consume('user'));
    await jest.advanceTimersByTimeAsync(BACKOFF_MS - 1);
    await immediately(limiter.consume('user'));
    expect(shared.calls).toBe(1);

    shared.stalled = false;
    await jest.advanceTimersByTimeAsync(1);
    const probe = await immediately(limiter.consume('user'));
    expect(probe.remaining).toBe(2);
    expect(breaker.state).toBe('closed');
    expect((await immediately(limiter.consume('user'))).remaining).toBe(1);
    expect(shared.calls).toBe(3);
    expect(countedLocally).toBe(2);
    expect(transitions).toEqual(['opened', 'closed']);
  });

  it('counts the probe locally when it fails, and keeps counting locally for another back-off', async () => {
    shared.stalled = true;
    await afterTimeout(limiter.consume('user'));
    await jest.advanceTimersByTimeAsync(BACKOFF_MS);

    // Other requests arriving while the probe is out do not wait for it.
    const probe = limiter.consume('user');
    expect((await immediately(limiter.consume('user'))).remaining).toBe(1);
    expect((await afterTimeout(probe)).remaining).toBe(0);
    expect(breaker.state).toBe('open');
    expect((await immediately(limiter.consume('user'))).allowed).toBe(false);
    expect(shared.calls).toBe(2);
    expect(countedLocally).toBe(4);
    expect(transitions).toEqual(['opened', 'reopened']);
  });
});
