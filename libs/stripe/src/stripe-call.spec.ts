import { jest } from '@jest/globals';
import { StripeBudgetExceededError, withinBudget } from './stripe-call.js';

/** Settles every pending microtask (promise reactions) without advancing timers. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe('StripeBudgetExceededError', () => {
  it('names the budget', () => {
    const error = new StripeBudgetExceededError(1500);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StripeBudgetExceededError');
    expect(error.budgetMs).toBe(1500);
    expect(error.message).toBe('Stripe did not answer within 1500 ms');
  });
});

describe('withinBudget', () => {
  describe('with fake timers', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('resolves with the value of a call that answers in time', async () => {
      const result = withinBudget(1000, async () => ({ id: 'bps_123' }));
      await expect(result).resolves.toEqual({ id: 'bps_123' });
    });

    it('resolves with a value that arrives just before the deadline', async () => {
      const result = withinBudget(
        1000,
        () => new Promise<string>((resolve) => setTimeout(() => resolve('late but in time'), 999)),
      );
      jest.advanceTimersByTime(999);
      await expect(result).resolves.toBe('late but in time');
    });

    it('calls the function exactly once', async () => {
      const call = jest.fn(async () => 'ok');
      await expect(withinBudget(1000, call)).resolves.toBe('ok');
      expect(call).toHaveBeenCalledTimes(1);
    });

    it('rejects with StripeBudgetExceededError once the budget is spent on a hanging call, not before', async () => {
      let settled: 'resolved' | 'rejected' | undefined;
      let reason: unknown;
      withinBudget(1000, () => new Promise<never>(() => undefined)).then(
        () => {
          settled = 'resolved';
        },
        (error: unknown) => {
          settled = 'rejected';
          reason = error;
        },
      );

      jest.advanceTimersByTime(999);
      await flushMicrotasks();
      expect(settled).toBeUndefined();

      jest.advanceTimersByTime(1);
      await flushMicrotasks();
      expect(settled).toBe('rejected');
      expect(reason).toBeInstanceOf(StripeBudgetExceededError);
      expect((reason as StripeBudgetExceededError).budgetMs).toBe(1000);
      expect((reason as StripeBudgetExceededError).message).toBe('Stripe did not answer within 1000 ms');
    });

    it('propagates the call’s own rejection unchanged', async () => {
      const failure = new Error('card_declined');
      await expect(withinBudget(1000, async () => Promise.reject(failure))).rejects.toBe(failure);
    });

    it('propagates a synchronous throw from the call', async () => {
      const failure = new Error('bad arguments');
      await expect(
        withinBudget(1000, () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
    });

    it('leaves no timer behind once the call has answered', async () => {
      await withinBudget(60_000, async () => 'done');
      expect(jest.getTimerCount()).toBe(0);
    });

    it('leaves no timer behind once the call has failed', async () => {
      await expect(withinBudget(60_000, async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('with real timers', () => {
    it('rejects a hanging call with StripeBudgetExceededError', async () => {
      await expect(withinBudget(50, () => new Promise<never>(() => undefined))).rejects.toBeInstanceOf(
        StripeBudgetExceededError,
      );
    });

    // Jest fails the running test with any unhandled rejection that surfaces while it runs. (Checked against an
    // implementation that subscribes to the call with a bare `pending.then(resolve)`: this test then fails.)
    it('leaves no unhandled rejection when the abandoned call rejects later', async () => {
      let rejectedLate = false;
      const lateFailure = new Error('abandoned call failed after the deadline');
      const result = withinBudget(
        20,
        () =>
          new Promise<never>((_resolve, reject) =>
            setTimeout(() => {
              rejectedLate = true;
              reject(lateFailure);
            }, 150),
          ),
      );
      await expect(result).rejects.toBeInstanceOf(StripeBudgetExceededError);
      expect(rejectedLate).toBe(false);
      // Let the abandoned call reject and give Node time to report it if nobody handles it.
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(rejectedLate).toBe(true);
    });
  });
});
