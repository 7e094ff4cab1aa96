import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { fixtures } from './fixtures.js';
import { expectResetWithin, type Timed } from './rate-limit-reset.js';
import type { StripeStub } from './stripe-stub.js';
import type { TestApp } from './test-app.js';

/** What the rate-limit suites (in memory, in Redis) share: limits, tenants, the portal call and the 429 check. */
export const PATH = '/api/v1/payments/stripe/customer-portal';
export const RETURN_URL = 'https://myapp.example.com/account/billing';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const USER_LIMIT = 3;
export const IP_LIMIT = 5;
export const LIMITS = { RATE_LIMIT_USER_PER_MINUTE: String(USER_LIMIT), RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT) };
export const keys = { a: 'sk_test_RATELIMITaaaaaaaaaaaaaaaa', b: 'sk_test_RATELIMITbbbbbbbbbbbbbbbb' };

/** Two projects whose end users all have a Stripe customer, provisioned identically in each app's own database. */
export class Tenants {
  readonly projectA = randomUUID();
  readonly projectB = randomUUID();
  private readonly users: string[];
  private used = 0;

  constructor(count: number) {
    this.users = Array.from({ length: count }, () => randomUUID());
  }

  async provision(stripe: StripeStub, ...apps: TestApp[]): Promise<void> {
    const customers = this.users.map((_, index) => `cus_rateLimit${index}`);
    stripe.addAccount(keys.a, customers);
    stripe.addAccount(keys.b, customers);
    for (const { app } of apps) {
      const projects = fixtures(app);
      const owner = randomUUID();
      for (const [projectId, key] of [
        [this.projectA, keys.a],
        [this.projectB, keys.b],
      ]) {
        await projects.createProject({ id: projectId, name: 'rate limited', ownerId: owner });
        await projects.setModeCredentials(projectId, 'test', { secretKey: key });
        for (const [index, userId] of this.users.entries()) {
          await projects.linkCustomer(projectId, userId, 'test', customers[index]);
        }
      }
    }
  }

  /** An end user no test has used yet (in both projects). */
  freshUser(): string {
    if (this.used === this.users.length) throw new Error('provision more users');
    return this.users[this.used++];
  }
}

let lastAddress = 0;
/** A client address no test has used yet (documentation range 198.51.100.0/24). */
export const freshAddress = () => `198.51.100.${++lastAddress}`;

export function portal(app: TestApp, options: { token?: string; forwardedFor?: string; body?: object } = {}) {
  let call = request(app.app.getHttpServer()).post(PATH);
  if (options.token !== undefined) call = call.set('Authorization', `Bearer ${options.token}`);
  if (options.forwardedFor !== undefined) call = call.set('X-Forwarded-For', options.forwardedFor);
  return call.send(options.body ?? { return_url: RETURN_URL });
}

/** What the X-RateLimit-Limit and X-RateLimit-Remaining headers say. */
export const shown = (response: request.Response): { limit?: string; remaining?: string } => ({
  limit: response.headers['x-ratelimit-limit'],
  remaining: response.headers['x-ratelimit-remaining'],
});

/** The reference's 429: exact body, Retry-After equal to retry_after, headers of the exhausted limit. */
export function expectTooManyRequests(timedResponse: Timed, limit: number): number {
  const { response } = timedResponse;
  expect(response.status).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/json\b/);
  const retryAfter: unknown = response.body.retry_after;
  expect(response.body).toEqual({
    detail: `Rate limit exceeded. Try again in ${String(retryAfter)} seconds.`,
    retry_after: retryAfter,
  });
  expect(Number.isInteger(retryAfter)).toBe(true);
  const seconds = retryAfter as number;
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(response.headers['retry-after']).toBe(String(seconds));
  expect(shown(response)).toEqual({ limit: String(limit), remaining: '0' });
  // Retry-After is the time left rounded up, so the window ends between seconds - 1 and seconds from then.
  expectResetWithin(timedResponse, seconds - 1, seconds);
  return seconds;
}
