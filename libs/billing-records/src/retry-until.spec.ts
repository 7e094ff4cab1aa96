import { retryUntil } from './retry-until.js';

describe('retryUntil', () => {
  it('returns the first value an attempt gives, false included', async () => {
    const answers = [undefined, undefined, false];
    let calls = 0;
    const result = await retryUntil(async () => answers[calls++], { waitMs: 1_000, maxPauseMs: 5 });
    expect({ result, calls }).toEqual({ result: false, calls: 3 });
  });

  it('gives up with undefined once waitMs has passed, after one last attempt at the deadline', async () => {
    let calls = 0;
    const startedAt = Date.now();
    const result = await retryUntil(
      async () => {
        calls += 1;
        return undefined;
      },
      { waitMs: 60, maxPauseMs: 20 },
    );
    expect(result).toBeUndefined();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(60);
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('lets an attempt that throws end the wait with its error', async () => {
    await expect(
      retryUntil(() => Promise.reject(new Error('refused')), { waitMs: 1_000, maxPauseMs: 5 }),
    ).rejects.toThrow('refused');
  });
});
