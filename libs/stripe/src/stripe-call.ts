/** Raised when a Stripe call, retries included, did not finish within its time budget. */
export class StripeBudgetExceededError extends Error {
  constructor(readonly budgetMs: number) {
    super(`Stripe did not answer within ${budgetMs} ms`);
    this.name = 'StripeBudgetExceededError';
  }
}

/**
 * Runs one Stripe call (with the SDK's own retries) against ONE deadline: the caller gets an answer within
 * `budgetMs` even when each attempt alone would have been allowed that long.
 */
export async function withinBudget<T>(budgetMs: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const pending = call();
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StripeBudgetExceededError(budgetMs)), budgetMs);
  });
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
    // The abandoned attempt settles later; its outcome is already answered for.
    pending.catch(() => undefined);
  }
}
