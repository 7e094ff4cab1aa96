/**
 * Calls `attempt` until it returns a value, pausing between calls (10 ms, doubling up to `maxPauseMs`) for at most
 * `waitMs` in all: how the service waits for a turn another request or process holds. Undefined when time ran out.
 */
export async function retryUntil<T>(
  attempt: () => Promise<T | undefined>,
  options: { waitMs: number; maxPauseMs: number },
): Promise<T | undefined> {
  const giveUpAt = Date.now() + options.waitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, options.maxPauseMs)) {
    const result = await attempt();
    if (result !== undefined) return result;
    const remaining = giveUpAt - Date.now();
    if (remaining <= 0) return undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, remaining)));
  }
}
