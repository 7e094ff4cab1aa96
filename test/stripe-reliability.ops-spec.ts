import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ProjectBulkhead } from '#libs/stripe';
import { BULKHEAD_FULL_DETAIL } from '#libs/stripe-http';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';
import { fixtures } from './support/fixtures.js';

// The production retry setting (startTestApp turns retries off by default), a short budget and a small cap.
const BUDGET_MS = 3000;
const RETRIES = 2;
const CAP = 4;
/** How late after the budget a 503 may arrive: the budget timer firing, the error filter, the response. */
const MARGIN_MS = 500;
/** The slow project's Stripe answers after this long: inside the budget, far beyond a healthy answer. */
const SLOW_MS = 2500;
/** Far under SLOW_MS: a request that waited behind the slow project's Stripe could not be this fast. */
const FAST_MS = 1000;

const PORTAL = '/api/v1/payments/stripe/customer-portal';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const BUDGET_EXCEEDED = { detail: `Stripe did not answer within ${BUDGET_MS} ms; try again shortly` };
const STRIPE_UNAVAILABLE = { detail: 'Stripe is temporarily unavailable; try again shortly' };
const RATE_LIMITED = { detail: 'Stripe is rate limiting requests for this project; try again shortly' };
const BULKHEAD_FULL = { detail: BULKHEAD_FULL_DETAIL };

/** One project per scenario, each with its own Stripe account (key), so a scenario's stragglers never blur another's. */
const SCENARIOS = ['hang', 'flakyThenHang', 'failing', 'flaky', 'rateLimited', 'slow', 'healthy'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Timed {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | undefined;
  ms: number;
}

describe('Stripe under faults: time budget, retries, rate limits and the per-project bulkhead', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  let bulkhead: ProjectBulkhead;
  const owner = randomUUID();
  const tenants = Object.fromEntries(
    SCENARIOS.map((name) => [
      name,
      {
        projectId: randomUUID(),
        userId: randomUUID(),
        key: `sk_test_${name.toUpperCase().padEnd(24, 'X')}`,
        customer: `cus_${name}`,
      },
    ]),
  ) as Record<Scenario, { projectId: string; userId: string; key: string; customer: string }>;

  const server = () => testApp.app.getHttpServer();
  const timed = async (call: request.Test): Promise<Timed> => {
    const started = performance.now();
    const response = await call;
    return {
      status: response.status,
      body: response.body as Record<string, unknown>,
      retryAfter: response.headers['retry-after'],
      ms: performance.now() - started,
    };
  };
  const openPortal = (tenant: Scenario) =>
    timed(
      request(server())
        .post(PORTAL)
        .set('Authorization', `Bearer ${endUserToken(tenants[tenant].userId, tenants[tenant].projectId)}`)
        .send({ return_url: RETURN_URL }),
    );
  const developer = (call: request.Test) => call.set('Authorization', `Bearer ${accessToken({ sub: owner })}`);
  const attempts = (tenant: Scenario) => stripe.requestsWithKey(tenants[tenant].key);

  beforeAll(async () => {
    const stubUrl = await stripe.start();
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: stubUrl,
      STRIPE_TIMEOUT_MS: String(BUDGET_MS),
      STRIPE_MAX_NETWORK_RETRIES: String(RETRIES),
      STRIPE_MAX_IN_FLIGHT_PER_PROJECT: String(CAP),
      // The load here is about Stripe, not the callers: rate limits must not answer first.
      RATE_LIMIT_USER_PER_MINUTE: '1000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
    });
    bulkhead = testApp.app.get(ProjectBulkhead);
    const projects = fixtures(testApp.app);
    for (const [name, tenant] of Object.entries(tenants)) {
      await projects.createProject({ id: tenant.projectId, name, ownerId: owner });
      await projects.setModeCredentials(tenant.projectId, 'test', { secretKey: tenant.key });
      await projects.linkCustomer(tenant.projectId, tenant.userId, 'test', tenant.customer);
      stripe.addAccount(tenant.key, [tenant.customer, `${tenant.customer}Other`]);
    }
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  describe('time budget (STRIPE_TIMEOUT_MS, retries included)', () => {
    it('answers 503 with Retry-After at the budget when Stripe never answers', async () => {
      stripe.failAlwaysForKey(tenants.hang.key, { kind: 'slow', delayMs: 60_000 });

      const answer = await openPortal('hang');

      expect(answer).toMatchObject({ status: 503, body: BUDGET_EXCEEDED, retryAfter: '2' });
      expect(answer.ms).toBeGreaterThanOrEqual(BUDGET_MS - 50);
      expect(answer.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      await expectSlotFreedOnceStripeAnswers('hang');
    });

    it('spends one budget across the SDK retries: a 500, then a hanging retry, is cut at the budget', async () => {
      stripe.failNextForKey(tenants.flakyThenHang.key, { kind: 'server-error' });
      stripe.failAlwaysForKey(tenants.flakyThenHang.key, { kind: 'slow', delayMs: 60_000 });

      const answer = await openPortal('flakyThenHang');

      expect(answer).toMatchObject({ status: 503, body: BUDGET_EXCEEDED, retryAfter: '2' });
      expect(answer.ms).toBeGreaterThanOrEqual(BUDGET_MS - 50);
      expect(answer.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      // The retry started inside the budget, with the same idempotency key.
      const sent = attempts('flakyThenHang');
      expect(sent).toHaveLength(2);
      expect(new Set(sent.map((attempt) => attempt.idempotencyKey)).size).toBe(1);
      await expectSlotFreedOnceStripeAnswers('flakyThenHang');
    });

    /**
     * The request abandoned at the deadline is still open in the SDK, so its project's slot is still held; once
     * Stripe answers the SDK's next attempt, the slot is free.
     */
    async function expectSlotFreedOnceStripeAnswers(tenant: Scenario): Promise<void> {
      expect(bulkhead.inFlight(tenants[tenant].projectId)).toBe(1);
      stripe.failAlwaysForKey(tenants[tenant].key, undefined);
      await until(() => bulkhead.inFlight(tenants[tenant].projectId) === 0, 3 * BUDGET_MS);
      expect(bulkhead.busyProjects).toBe(0);
    }
  });

  describe('Stripe 500s', () => {
    it('retries inside the budget with the same idempotency key, then answers 503 with Retry-After', async () => {
      stripe.failAlwaysForKey(tenants.failing.key, { kind: 'server-error' });

      const answer = await openPortal('failing');

      expect(answer).toMatchObject({ status: 503, body: STRIPE_UNAVAILABLE, retryAfter: '5' });
      const sent = attempts('failing');
      expect(sent).toHaveLength(1 + RETRIES);
      expect(sent[0].idempotencyKey).toEqual(expect.any(String));
      expect(sent.map((attempt) => attempt.idempotencyKey)).toEqual(Array(1 + RETRIES).fill(sent[0].idempotencyKey));
      // Two back-offs of at least 500 ms each (stripe-node's), all inside the budget.
      expect(answer.ms).toBeGreaterThanOrEqual(1000 - 50);
      expect(answer.ms).toBeLessThan(BUDGET_MS);
      expect(bulkhead.busyProjects).toBe(0);
    });

    it('answers 200 when a retry succeeds', async () => {
      stripe.failNextForKey(tenants.flaky.key, { kind: 'server-error' });

      const answer = await openPortal('flaky');

      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\/p\/session\//),
      });
      const sent = attempts('flaky');
      expect(sent).toHaveLength(2);
      expect(sent[1].idempotencyKey).toBe(sent[0].idempotencyKey);
      expect(answer.ms).toBeLessThan(BUDGET_MS);
    });
  });

  describe('Stripe 429', () => {
    it('answers 503 with Stripe’s Retry-After, without retrying', async () => {
      stripe.failNextForKey(tenants.rateLimited.key, { kind: 'rate-limit', retryAfter: 7 });

      const answer = await openPortal('rateLimited');

      expect(answer).toMatchObject({ status: 503, body: RATE_LIMITED, retryAfter: '7' });
      expect(attempts('rateLimited')).toHaveLength(1);
      expect(answer.ms).toBeLessThan(FAST_MS);
    });

    it('answers 503 with Retry-After 2 when Stripe sends none', async () => {
      stripe.failNextForKey(tenants.rateLimited.key, { kind: 'rate-limit' });

      const answer = await openPortal('rateLimited');

      expect(answer).toMatchObject({ status: 503, body: RATE_LIMITED, retryAfter: '2' });
      expect(attempts('rateLimited')).toHaveLength(1);
    });
  });

  describe(`bulkhead (STRIPE_MAX_IN_FLIGHT_PER_PROJECT=${CAP})`, () => {
    /** Fills the slow project's slots with portal requests its Stripe holds for SLOW_MS; resolves once all are held. */
    async function saturateSlowProject(): Promise<{ admitted: Promise<Timed[]> }> {
      stripe.failAlwaysForKey(tenants.slow.key, { kind: 'slow', delayMs: SLOW_MS });
      const admitted = Promise.all(Array.from({ length: CAP }, () => openPortal('slow')));
      await until(() => attempts('slow').length === CAP, SLOW_MS / 2);
      expect(bulkhead.inFlight(tenants.slow.projectId)).toBe(CAP);
      return { admitted };
    }

    it('refuses a slow project beyond its cap at once, while a healthy project under load stays fast', async () => {
      const { admitted } = await saturateSlowProject();
      let slowDone = false;
      const markDone = () => {
        slowDone = true;
      };
      void admitted.then(markDone, markDone);

      // The healthy project keeps CAP requests in flight for the whole time the slow one is saturated.
      const healthy: Timed[] = [];
      const healthyLoad = Promise.all(
        Array.from({ length: CAP }, async () => {
          while (!slowDone) healthy.push(await openPortal('healthy'));
        }),
      );
      // Two bursts of excess requests for the slow project, both well before its held requests end.
      const excess = await Promise.all(Array.from({ length: 2 * CAP }, () => openPortal('slow')));
      await sleep(SLOW_MS / 2);
      excess.push(...(await Promise.all(Array.from({ length: 2 * CAP }, () => openPortal('slow')))));
      const slowAnswers = await admitted;
      await healthyLoad;

      for (const answer of slowAnswers) {
        expect(answer).toMatchObject({ status: 200, body: { portal_url: expect.any(String) } });
        expect(answer.ms).toBeGreaterThanOrEqual(SLOW_MS - 50);
      }
      for (const answer of excess) expect(answer).toMatchObject({ status: 503, body: BULKHEAD_FULL, retryAfter: '1' });
      // The excess never reached Stripe.
      expect(attempts('slow')).toHaveLength(CAP);
      for (const answer of healthy) {
        expect(answer).toMatchObject({ status: 200, body: { portal_url: expect.any(String) } });
      }
      const healthyMs = healthy.map((answer) => answer.ms).sort((a, b) => a - b);
      const excessMaxMs = Math.max(...excess.map((answer) => answer.ms));
      console.log(
        `bulkhead: slow project ${CAP} admitted (held ${SLOW_MS} ms), ${excess.length} refused, slowest refusal ` +
          `${excessMaxMs.toFixed(0)} ms; healthy project ${healthy.length} requests, all 200, p50 ` +
          `${healthyMs[Math.floor(healthyMs.length / 2)].toFixed(0)} ms, max ${healthyMs[healthyMs.length - 1].toFixed(0)} ms`,
      );
      expect(healthy.length).toBeGreaterThanOrEqual(4 * CAP);
      expect(healthyMs[healthyMs.length - 1]).toBeLessThan(FAST_MS);
      expect(excessMaxMs).toBeLessThan(FAST_MS);

      // Once the slow project's Stripe has answered, its slots are free again.
      expect(bulkhead.busyProjects).toBe(0);
      stripe.failAlwaysForKey(tenants.slow.key, undefined);
      expect((await openPortal('slow')).status).toBe(200);
    });

    it("counts every Stripe call of the project: credential checks and customer links share the portal's slots", async () => {
      const { admitted } = await saturateSlowProject();
      const base = `/api/v1/payments/stripe/projects`;
      const validate = () =>
        developer(request(server()).post(`${base}/${tenants.slow.projectId}/validate-credentials`)).send({
          secret_key: tenants.slow.key,
          is_test_mode: true,
        });
      const link = (tenant: Scenario) =>
        developer(request(server()).put(`${base}/${tenants[tenant].projectId}/customers/${randomUUID()}`)).send({
          stripe_customer_id: `${tenants[tenant].customer}Other`,
        });

      const refusedCheck = await validate().expect(503);
      expect(refusedCheck.body).toEqual(BULKHEAD_FULL);
      expect(refusedCheck.headers['retry-after']).toBe('1');
      const refusedLink = await link('slow').expect(503);
      expect(refusedLink.body).toEqual(BULKHEAD_FULL);
      expect(refusedLink.headers['retry-after']).toBe('1');
      // Another project's customer link is not held back.
      await link('healthy').expect(200);
      expect(attempts('slow')).toHaveLength(CAP);

      for (const answer of await admitted) expect(answer.status).toBe(200);
      stripe.failAlwaysForKey(tenants.slow.key, undefined);
      await validate().expect(200, { valid: true, message: 'Credentials are valid' });
      expect(bulkhead.busyProjects).toBe(0);
    });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
