import { jest } from '@jest/globals';
import { AppConfig, environmentSchema } from '#libs/config';
import { ProjectBulkhead, StripeBulkheadFullError } from './project-bulkhead.js';
import { StripeBudgetExceededError } from './stripe-call.js';

const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const PROJECT_A = '6f1c3a52-1d2e-4c8b-9a0f-3b5e7d9c1a2b';
const PROJECT_B = '0b7e2c1d-9f3a-4e5b-8c6d-1a2b3c4d5e6f';

function bulkheadWith(env: Record<string, string> = {}): ProjectBulkhead {
  return new ProjectBulkhead(
    new AppConfig(environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY, ...env })),
  );
}

/** A Stripe call that stays in flight until the test settles it. */
function heldCall<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { call: jest.fn(() => promise), resolve, reject };
}

/** Settles every pending microtask (promise reactions) without advancing timers. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe('StripeBulkheadFullError', () => {
  it('names the cap', () => {
    const error = new StripeBulkheadFullError(20);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StripeBulkheadFullError');
    expect(error.maxInFlight).toBe(20);
    expect(error.message).toBe('The project already has 20 Stripe calls in flight');
  });
});

describe('ProjectBulkhead', () => {
  it('answers with the value of the call and leaves no entry behind', async () => {
    const bulkhead = bulkheadWith();
    await expect(
      bulkhead.run(PROJECT_A, async () => ({ url: 'https://billing.stripe.com/p/session/x' })),
    ).resolves.toEqual({ url: 'https://billing.stripe.com/p/session/x' });
    expect(bulkhead.inFlight(PROJECT_A)).toBe(0);
    expect(bulkhead.busyProjects).toBe(0);
  });

  it('admits up to the cap, then refuses at once without calling Stripe', async () => {
    const bulkhead = bulkheadWith({ STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '3' });
    const held = heldCall();
    const admitted = [1, 2, 3].map(() => bulkhead.run(PROJECT_A, held.call));
    expect(bulkhead.inFlight(PROJECT_A)).toBe(3);

    const refused = heldCall();
    const error = await bulkhead.run(PROJECT_A, refused.call).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StripeBulkheadFullError);
    expect((error as StripeBulkheadFullError).maxInFlight).toBe(3);
    expect(refused.call).not.toHaveBeenCalled();
    expect(held.call).toHaveBeenCalledTimes(3);
    expect(bulkhead.inFlight(PROJECT_A)).toBe(3);

    held.resolve('done');
    await expect(Promise.all(admitted)).resolves.toEqual(['done', 'done', 'done']);
    expect(bulkhead.inFlight(PROJECT_A)).toBe(0);
  });

  it('defaults to 20 calls in flight per project', async () => {
    const bulkhead = bulkheadWith();
    const held = heldCall();
    const admitted = Array.from({ length: 20 }, () => bulkhead.run(PROJECT_A, held.call));
    await expect(bulkhead.run(PROJECT_A, async () => 'one too many')).rejects.toBeInstanceOf(StripeBulkheadFullError);
    held.resolve('done');
    await Promise.all(admitted);
  });

  it('keeps projects apart: a full project does not hold back another one', async () => {
    const bulkhead = bulkheadWith({ STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '2' });
    const slow = heldCall();
    const admitted = [bulkhead.run(PROJECT_A, slow.call), bulkhead.run(PROJECT_A, slow.call)];
    await expect(bulkhead.run(PROJECT_A, async () => 'a')).rejects.toBeInstanceOf(StripeBulkheadFullError);

    await expect(bulkhead.run(PROJECT_B, async () => 'b')).resolves.toBe('b');
    const b = heldCall();
    const bothOfB = [bulkhead.run(PROJECT_B, b.call), bulkhead.run(PROJECT_B, b.call)];
    expect(bulkhead.inFlight(PROJECT_A)).toBe(2);
    expect(bulkhead.inFlight(PROJECT_B)).toBe(2);
    expect(bulkhead.busyProjects).toBe(2);

    slow.resolve('a');
    b.resolve('b');
    await Promise.all([...admitted, ...bothOfB]);
    expect(bulkhead.busyProjects).toBe(0);
  });

  it('frees the slot before the caller resumes, so a caller that calls again right away is admitted', async () => {
    const bulkhead = bulkheadWith({ STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '1' });
    for (let i = 0; i < 5; i += 1) await expect(bulkhead.run(PROJECT_A, async () => i)).resolves.toBe(i);
    expect(bulkhead.busyProjects).toBe(0);
  });

  it('frees the slot when the call fails, passing its error through unchanged', async () => {
    const bulkhead = bulkheadWith({ STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '1' });
    const failure = new Error('api_error');
    await expect(bulkhead.run(PROJECT_A, async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(bulkhead.inFlight(PROJECT_A)).toBe(0);
    await expect(bulkhead.run(PROJECT_A, async () => 'next')).resolves.toBe('next');
  });

  it('frees the slot when the call throws synchronously', async () => {
    const bulkhead = bulkheadWith({ STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '1' });
    const failure = new TypeError('bad arguments');
    await expect(
      bulkhead.run(PROJECT_A, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(bulkhead.busyProjects).toBe(0);
  });

  it('leaves no entry behind after many projects came and went', async () => {
    const bulkhead = bulkheadWith();
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        bulkhead.run(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, async () => i),
      ),
    );
    expect(bulkhead.busyProjects).toBe(0);
  });

  describe('with fake timers', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('answers the caller at the budget but holds the slot until the abandoned call really ends', async () => {
      const bulkhead = bulkheadWith({ STRIPE_TIMEOUT_MS: '1000', STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '1' });
      const hanging = heldCall();
      let outcome: unknown;
      bulkhead.run(PROJECT_A, hanging.call).catch((error: unknown) => {
        outcome = error;
      });

      jest.advanceTimersByTime(999);
      await flushMicrotasks();
      expect(outcome).toBeUndefined();
      jest.advanceTimersByTime(1);
      await flushMicrotasks();
      expect(outcome).toBeInstanceOf(StripeBudgetExceededError);
      expect((outcome as StripeBudgetExceededError).budgetMs).toBe(1000);

      // The SDK request is still open (a socket, maybe retries): the project may not start another one yet.
      expect(bulkhead.inFlight(PROJECT_A)).toBe(1);
      await expect(bulkhead.run(PROJECT_A, async () => 'too early')).rejects.toBeInstanceOf(StripeBulkheadFullError);

      hanging.reject(new Error('the SDK timed out the attempt'));
      await flushMicrotasks();
      expect(bulkhead.inFlight(PROJECT_A)).toBe(0);
      await expect(bulkhead.run(PROJECT_A, async () => 'now')).resolves.toBe('now');
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
