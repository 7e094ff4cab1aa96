import type request from 'supertest';

/** A response with the clock read before sending it and after it arrived: the server's clock read lies between. */
export interface Timed {
  response: request.Response;
  sentAt: number;
  answeredAt: number;
}

export async function timed(pending: PromiseLike<request.Response>): Promise<Timed> {
  const sentAt = Date.now();
  const response = await pending;
  return { response, sentAt, answeredAt: Date.now() };
}

/**
 * X-RateLimit-Reset (a Unix time in whole seconds, rounded up) says the window ends between `minSeconds` after the
 * request was sent and `maxSeconds` after it was answered.
 */
export function expectResetWithin(
  { response, sentAt, answeredAt }: Timed,
  minSeconds: number,
  maxSeconds: number,
): void {
  const reset = Number(response.headers['x-ratelimit-reset']);
  expect(reset).toBeGreaterThanOrEqual(Math.ceil((sentAt + minSeconds * 1000) / 1000));
  expect(reset).toBeLessThanOrEqual(Math.ceil((answeredAt + maxSeconds * 1000) / 1000));
}
