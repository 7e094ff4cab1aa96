import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { STRIPE_API_VERSION } from '#libs/stripe';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';
import { freePort as closedPort } from './support/ports.js';
import { expectResetWithin, timed } from './support/rate-limit-reset.js';
import { fixtures } from './support/fixtures.js';

const BASE = '/api/v1/payments/stripe/projects';
const PUBLIC_BASE_URL = 'https://billing.example.com/base/';
const STRIPE_BUDGET_MS = 1500;
const RETURN_URL = 'https://myapp.example.com/account/billing';

const INVALID_CREDENTIALS = { detail: 'Could not validate credentials' };
const DEVELOPER_REQUIRED = {
  detail: 'This endpoint requires a developer access token (a token without project_id)',
};
const PROJECT_NOT_FOUND = { detail: 'Project not found' };
const NOT_CONFIGURED = { detail: 'Project not found or Stripe not configured' };
const NO_CUSTOMER = { detail: 'No Stripe customer found for user' };
const VALID = { valid: true, message: 'Credentials are valid' };
const REJECTED = { valid: false, message: 'Stripe rejected the key: invalid, expired or revoked' };
const NO_BALANCE_READ = {
  valid: false,
  message:
    'Stripe accepted the key, but it lacks permission to read the balance, which this check needs. A restricted key ' +
    'without Balance read access can still work for the customer portal if it may read Customers and write Customer ' +
    'portal sessions; grant it Balance read access to validate it here.',
};
const PUBLIC_BASE_URL_MISSING = {
  detail: "PUBLIC_BASE_URL is not configured; set it to the service's external base URL to get webhook URLs",
};

/** Keys with distinctive, non-hex last four characters: a masked echo (sk_test_...q2r) is caught, a UUID never matches. */
const keys = {
  test: 'sk_test_VALIDvalidVALIDvalid1q2r',
  live: 'sk_live_VALIDvalidVALIDvalid3s4t',
  restricted: 'rk_test_RESTRICTEDrestricted5u6v',
  unknown: 'sk_test_UNKNOWNunknownUNKNOWN7g8h',
  projectTest: 'sk_test_PROJECTprojectPROJECT9i0j',
  projectLive: 'sk_live_PROJECTprojectPROJECTk1l2',
  onlyTest: 'sk_test_ONLYTESTonlytestONLYm3n4',
  beforeRotation: 'sk_test_BEFOREbeforeBEFOREo5p6',
  afterRotation: 'rk_test_AFTERafterAFTERafterq7r8',
};

describe('Stripe tools for developers (credentials, webhook URLs, customer links)', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  /** No PUBLIC_BASE_URL, and Stripe pointed at a port nothing listens on. */
  let bareApp: TestApp;

  // A fresh owner and projects per test: customer links count against the owner's per-developer limit.
  let owner: string;
  const stranger = randomUUID();
  let projectA: string; // test and live keys
  const ownerToken = () => accessToken({ sub: owner });
  const strangerToken = () => accessToken({ sub: stranger });

  const server = (app = testApp) => app.app.getHttpServer();
  const authed = (call: request.Test, token: string | undefined) =>
    token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  const validate = (token: string | undefined, projectId: string, body?: unknown, app = testApp) => {
    const call = authed(request(server(app)).post(`${BASE}/${projectId}/validate-credentials`), token);
    return body === undefined ? call : call.send(body as object);
  };
  const webhookUrls = (token: string | undefined, projectId: string, app = testApp) =>
    authed(request(server(app)).get(`${BASE}/${projectId}/webhook-urls`), token);
  const link = (token: string | undefined, projectId: string, userId: string, body: unknown, query = '') =>
    authed(request(server()).put(`${BASE}/${projectId}/customers/${userId}${query}`), token).send(body as object);
  const unlink = (token: string | undefined, projectId: string, userId: string, query = '') =>
    authed(request(server()).delete(`${BASE}/${projectId}/customers/${userId}${query}`), token);
  const openPortal = (userId: string, projectId: string, query = '') =>
    request(server())
      .post(`/api/v1/payments/stripe/customer-portal${query}`)
      .set('Authorization', `Bearer ${endUserToken(userId, projectId)}`)
      .send({ return_url: RETURN_URL });

  /** A developer of their own with one project: the rate limit is per developer, so tests do not share budgets. */
  const newDeveloper = async (app = testApp) => {
    const developer = randomUUID();
    const projectId = randomUUID();
    await fixtures(app.app).createProject({ id: projectId, name: 'tools', ownerId: developer });
    return { developer, projectId, token: accessToken({ sub: developer }) };
  };

  const expectNoKeyIn = (text: string) => {
    for (const key of Object.values(keys)) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(-4));
    }
  };

  beforeAll(async () => {
    const stubUrl = await stripe.start();
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: stubUrl,
      STRIPE_TIMEOUT_MS: String(STRIPE_BUDGET_MS),
      PUBLIC_BASE_URL,
    });
    bareApp = await startTestApp({ STRIPE_API_BASE_URL: `http://127.0.0.1:${await closedPort()}` });

    stripe.addAccount(keys.test, []);
    stripe.addAccount(keys.live, []);
    stripe.addAccount(keys.restricted, []);
    // One customer per test that links it: a customer belongs to at most one user per project and mode.
    stripe.addAccount(keys.projectTest, [
      'cus_aliceTest',
      'cus_bobTest',
      'cus_replacement',
      'cus_carolTest',
      'cus_daveTest',
      'cus_shared',
      'cus_failing',
    ]);
    stripe.addAccount(keys.projectLive, ['cus_aliceLive', 'cus_daveLive']);
    stripe.addAccount(keys.onlyTest, ['cus_onlyTest']);
    stripe.addDeletedCustomer(keys.projectTest, 'cus_deleted');
    stripe.addAccount(keys.beforeRotation, ['cus_rotating']);
    stripe.addAccount(keys.afterRotation, ['cus_rotating']);
  });

  afterAll(async () => {
    await testApp?.close();
    await bareApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  /** A fresh owner with project A, for each test that uses them (links count against the owner's limit). */
  const createOwnerProjects = async () => {
    owner = randomUUID();
    projectA = randomUUID();
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: projectA, name: 'A', ownerId: owner });
    await projects.setModeCredentials(projectA, 'test', { secretKey: keys.projectTest });
    await projects.setModeCredentials(projectA, 'live', { secretKey: keys.projectLive });
  };

  /** Another project of the owner: without configuration, deactivated, or with a test key only. */
  const ownerProject = async (kind: 'unconfigured' | 'inactive' | 'onlyTest'): Promise<string> => {
    const id = randomUUID();
    const projects = fixtures(testApp.app);
    await projects.createProject({ id, name: kind, ownerId: owner });
    if (kind === 'unconfigured') return id;
    await projects.setModeCredentials(id, 'test', {
      secretKey: kind === 'onlyTest' ? keys.onlyTest : keys.projectTest,
    });
    if (kind === 'inactive') {
      await testApp.app.get(PrismaService).stripeConfig.update({ where: { projectId: id }, data: { isActive: false } });
    }
    return id;
  };

  describe('POST /projects/{project_id}/validate-credentials', () => {
    it('accepts a test key Stripe knows, checking it with one balance read through an uncached client', async () => {
      const { projectId, token } = await newDeveloper();
      const answer = await timed(validate(token, projectId, { secret_key: keys.test, is_test_mode: true }).expect(200));
      const { response } = answer;

      expect(response.body).toEqual(VALID);
      expect(stripe.requests).toHaveLength(1);
      const [sent] = stripe.requests;
      expect([sent.method, sent.path, sent.apiKey]).toEqual(['GET', '/v1/balance', keys.test]);
      expect(sent.stripeVersion).toBe(STRIPE_API_VERSION);
      expect(sent.headers['x-stripe-client-telemetry']).toBeUndefined();
      expect(response.headers['x-ratelimit-limit']).toBe('10');
      expect(response.headers['x-ratelimit-remaining']).toBe('9');
      // A one-minute window opened while the request was in flight.
      expectResetWithin(answer, 59, 60);
      expectNoKeyIn(response.text);
    });

    it('defaults is_test_mode to true, and checks a live key with is_test_mode false', async () => {
      const { projectId, token } = await newDeveloper();
      await validate(token, projectId, { secret_key: keys.test }).expect(200, VALID);
      await validate(token, projectId, { secret_key: keys.live, is_test_mode: false }).expect(200, VALID);
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.test, keys.live]);
    });

    it('accepts a restricted key that may read the balance', async () => {
      const { projectId, token } = await newDeveloper();
      await validate(token, projectId, { secret_key: keys.restricted }).expect(200, VALID);
    });

    it('answers valid false for a key Stripe rejects, without echoing the key or Stripe masked copy', async () => {
      const { projectId, token } = await newDeveloper();
      const response = await validate(token, projectId, { secret_key: keys.unknown }).expect(200);
      expect(response.body).toEqual(REJECTED);
      expect(stripe.requests.map((sent) => [sent.path, sent.apiKey])).toEqual([['/v1/balance', keys.unknown]]);
      expectNoKeyIn(response.text);
    });

    it('answers valid false, saying what it means for the portal, when the key may not read the balance', async () => {
      const { projectId, token } = await newDeveloper();
      stripe.failNext({ kind: 'permission' });
      const response = await validate(token, projectId, { secret_key: keys.restricted }).expect(200);
      expect(response.body).toEqual(NO_BALANCE_READ);
      expect(stripe.requests).toHaveLength(1);
      expectNoKeyIn(response.text);
    });

    it.each([
      [
        'a publishable key',
        'pk_test_PUBLISHABLEpublishable',
        true,
        'must start with sk_test_ or rk_test_ for test mode',
      ],
      ['a live key in test mode', keys.live, true, 'must start with sk_test_ or rk_test_ for test mode'],
      ['a test key in live mode', keys.test, false, 'must start with sk_live_ or rk_live_ for live mode'],
      ['a webhook secret', 'whsec_WEBHOOKwebhookWEBHOOK', true, 'must start with sk_test_ or rk_test_ for test mode'],
      ['a prefix alone', 'sk_test_', true, 'is not a well-formed Stripe identifier'],
      ['a key with a dash', 'sk_test_abc-def', true, 'is not a well-formed Stripe identifier'],
      ['a key over 255 characters', `sk_test_${'a'.repeat(248)}`, true, 'is not a well-formed Stripe identifier'],
    ])('answers valid false for %s without calling Stripe', async (_name, key, isTestMode, problem) => {
      const { projectId, token } = await newDeveloper();
      const response = await validate(token, projectId, { secret_key: key, is_test_mode: isTestMode }).expect(200);
      expect(response.body).toEqual({ valid: false, message: `secret_key ${problem}` });
      expect(stripe.requests).toHaveLength(0);
      expect(response.text).not.toContain(key.slice(-6));
    });

    describe('when Stripe cannot answer (503 with Retry-After)', () => {
      it('answers 503 when Stripe fails with a 500', async () => {
        const { projectId, token } = await newDeveloper();
        stripe.failNext({ kind: 'server-error' });
        const response = await validate(token, projectId, { secret_key: keys.test }).expect(503);
        expect(response.body).toEqual({ detail: 'Stripe is temporarily unavailable; try again shortly' });
        expect(response.headers['retry-after']).toBe('5');
        expect(response.headers['x-ratelimit-remaining']).toBe('9');
      });

      it('answers 503 when Stripe rate limits', async () => {
        const { projectId, token } = await newDeveloper();
        stripe.failNext({ kind: 'rate-limit', retryAfter: 7 });
        const response = await validate(token, projectId, { secret_key: keys.test }).expect(503);
        expect(response.body).toEqual({
          detail: 'Stripe is rate limiting requests for this project; try again shortly',
        });
        expect(response.headers['retry-after']).toBe('7');
      });

      it('answers 503 within the time budget when Stripe is too slow', async () => {
        const { projectId, token } = await newDeveloper();
        stripe.failNext({ kind: 'slow', delayMs: STRIPE_BUDGET_MS * 3 });
        const started = Date.now();
        const response = await validate(token, projectId, { secret_key: keys.test }).expect(503);
        expect(response.body).toEqual({
          detail: `Stripe did not answer within ${STRIPE_BUDGET_MS} ms; try again shortly`,
        });
        expect(response.headers['retry-after']).toBe('2');
        expect(Date.now() - started).toBeLessThan(STRIPE_BUDGET_MS + 1000);
      });

      it('answers 503 when Stripe is unreachable', async () => {
        const { projectId, token } = await newDeveloper(bareApp);
        const response = await validate(token, projectId, { secret_key: keys.test }, bareApp).expect(503);
        expect(response.body).toEqual({ detail: 'Stripe could not be reached; try again shortly' });
        expect(response.headers['retry-after']).toBe('2');
        expectNoKeyIn(response.text);
      });
    });

    describe('rate limit (429)', () => {
      it('allows 10 validations a minute per developer, then answers 429 without calling Stripe', async () => {
        const { projectId, token } = await newDeveloper();
        for (let call = 1; call <= 10; call += 1) {
          const response = await validate(token, projectId, { secret_key: keys.test }).expect(200, VALID);
          expect([response.headers['x-ratelimit-limit'], response.headers['x-ratelimit-remaining']]).toEqual([
            '10',
            String(10 - call),
          ]);
        }
        expect(stripe.requests).toHaveLength(10);
        const answer = await timed(validate(token, projectId, { secret_key: keys.test }).expect(429));
        const limited = answer.response;

        const retryAfter = limited.body.retry_after;
        expect(limited.body).toEqual({
          detail: `Too many credential validations; try again in ${retryAfter} seconds`,
          retry_after: retryAfter,
        });
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(58);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(limited.headers['retry-after']).toBe(String(retryAfter));
        expect(limited.headers['x-ratelimit-limit']).toBe('10');
        expect(limited.headers['x-ratelimit-remaining']).toBe('0');
        // Retry-After is the time left rounded up: the window ends between retryAfter - 1 and retryAfter from then.
        expectResetWithin(answer, retryAfter - 1, retryAfter);
        expect(stripe.requests).toHaveLength(10);
        expectNoKeyIn(limited.text);
      });

      it('counts every validation of the developer, whatever the project, key or outcome', async () => {
        const { developer, projectId, token } = await newDeveloper();
        const second = randomUUID();
        await fixtures(testApp.app).createProject({ id: second, name: 'second', ownerId: developer });
        for (let call = 0; call < 5; call += 1) {
          await validate(token, projectId, { secret_key: 'pk_test_wrongKind' }).expect(200);
          await validate(token, second, { secret_key: keys.unknown }).expect(200, REJECTED);
        }
        const limited = await validate(token, second, { secret_key: keys.test }).expect(429);
        expect(limited.body.detail).toMatch(/^Too many credential validations; try again in \d+ seconds$/);
        // A limited developer cannot use the endpoint to test keys, not even for another project or a bad body.
        await validate(token, projectId, {}).expect(429);
        await validate(token, randomUUID(), { secret_key: keys.test }).expect(429);
        expect(stripe.requests.map((sent) => sent.apiKey)).toEqual(Array(5).fill(keys.unknown));
      });

      it('limits each developer separately (not by address) and only this endpoint', async () => {
        const limited = await newDeveloper();
        for (let call = 0; call < 10; call += 1) {
          await validate(limited.token, limited.projectId, { secret_key: 'pk_test_wrongKind' }).expect(200);
        }
        await validate(limited.token, limited.projectId, { secret_key: keys.test }).expect(429);

        const other = await newDeveloper();
        const response = await validate(other.token, other.projectId, { secret_key: keys.test }).expect(200, VALID);
        expect(response.headers['x-ratelimit-remaining']).toBe('9');

        const urls = await webhookUrls(limited.token, limited.projectId).expect(200);
        expect(urls.headers['x-ratelimit-limit']).toBeUndefined();
        await unlink(limited.token, limited.projectId, randomUUID()).expect(404, NO_CUSTOMER);
      });

      it('authenticates before counting: a missing or end-user token is refused, not limited', async () => {
        const { developer, projectId, token } = await newDeveloper();
        for (let call = 0; call < 11; call += 1) {
          await validate(undefined, projectId, { secret_key: keys.test }).expect(401, INVALID_CREDENTIALS);
          await validate(endUserToken(developer, projectId), projectId, { secret_key: keys.test }).expect(
            403,
            DEVELOPER_REQUIRED,
          );
        }
        const response = await validate(token, projectId, { secret_key: keys.test }).expect(200, VALID);
        expect(response.headers['x-ratelimit-remaining']).toBe('9');
      });
    });

    describe('validation (422)', () => {
      it.each([
        [{}, ['body', 'secret_key'], 'missing', 'Field required'],
        [{ secret_key: '' }, ['body', 'secret_key'], 'string_too_short', 'String should have at least 1 character'],
        [{ secret_key: 42 }, ['body', 'secret_key'], 'string_type', 'Input should be a valid string'],
        [{ secret_key: null }, ['body', 'secret_key'], 'string_type', 'Input should be a valid string'],
        [
          { secret_key: keys.test, is_test_mode: 'true' },
          ['body', 'is_test_mode'],
          'bool_type',
          'Input should be a valid boolean',
        ],
        [
          { secret_key: keys.test, is_test_mode: 1 },
          ['body', 'is_test_mode'],
          'bool_type',
          'Input should be a valid boolean',
        ],
        [
          { secret_key: keys.test, is_test_mode: null },
          ['body', 'is_test_mode'],
          'bool_type',
          'Input should be a valid boolean',
        ],
      ])('refuses the body #%# without calling Stripe', async (body, loc, type, msg) => {
        const { projectId, token } = await newDeveloper();
        const response = await validate(token, projectId, body).expect(422);
        expect(response.body).toEqual({ detail: [{ loc, msg, type }] });
        expect(stripe.requests).toHaveLength(0);
        expectNoKeyIn(response.text);
      });

      it('refuses a non-object body', async () => {
        const { projectId, token } = await newDeveloper();
        await validate(token, projectId)
          .set('Content-Type', 'application/json')
          .send('"sk_test_x"')
          .expect(422, {
            detail: [
              {
                loc: ['body'],
                msg: 'Input should be a valid dictionary or object to extract fields from',
                type: 'model_attributes_type',
              },
            ],
          });
      });
    });
  });

  describe('GET /projects/{project_id}/webhook-urls', () => {
    beforeEach(createOwnerProjects);

    it('derives both URLs from PUBLIC_BASE_URL (trailing slash dropped) and the project id', async () => {
      const response = await webhookUrls(ownerToken(), projectA).expect(200);
      expect(response.body).toEqual({
        test_webhook_url: `https://billing.example.com/base/api/v1/payments/stripe/webhooks/${projectA}/test`,
        live_webhook_url: `https://billing.example.com/base/api/v1/payments/stripe/webhooks/${projectA}/live`,
      });
    });

    it('normalises an upper-case project id', async () => {
      const response = await webhookUrls(ownerToken(), projectA.toUpperCase()).expect(200);
      expect(response.body.test_webhook_url).toContain(`/webhooks/${projectA}/test`);
    });

    it('works for a project without Stripe configuration', async () => {
      await webhookUrls(ownerToken(), await ownerProject('unconfigured')).expect(200);
    });

    it('answers 503 when PUBLIC_BASE_URL is not configured, after checking ownership', async () => {
      const { projectId, token } = await newDeveloper(bareApp);
      const response = await webhookUrls(token, projectId, bareApp).expect(503);
      expect(response.body).toEqual(PUBLIC_BASE_URL_MISSING);
      expect(response.headers['retry-after']).toBeUndefined();
      await webhookUrls(strangerToken(), projectId, bareApp).expect(404, PROJECT_NOT_FOUND);
    });
  });

  describe('PUT /projects/{project_id}/customers/{user_id}', () => {
    beforeEach(createOwnerProjects);

    it('links a customer that exists in the project Stripe test account; the user can then open the portal', async () => {
      const alice = randomUUID();
      await openPortal(alice, projectA).expect(404, NO_CUSTOMER);

      const response = await link(ownerToken(), projectA, alice, { stripe_customer_id: 'cus_aliceTest' }).expect(200);

      expect(response.body).toEqual({
        project_id: projectA,
        user_id: alice,
        test_mode: true,
        stripe_customer_id: 'cus_aliceTest',
      });
      expect(stripe.requests.map((sent) => [sent.method, sent.path, sent.apiKey])).toEqual([
        ['GET', '/v1/customers/cus_aliceTest', keys.projectTest],
      ]);
      expect(stripe.requests[0].stripeVersion).toBe(STRIPE_API_VERSION);
      expectNoKeyIn(response.text);

      const portal = await openPortal(alice, projectA).expect(200);
      expect(portal.body.portal_url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\/test_/);
      expect(stripe.requests[1]).toMatchObject({
        path: '/v1/billing_portal/sessions',
        apiKey: keys.projectTest,
        form: { customer: 'cus_aliceTest', return_url: RETURN_URL },
      });
    });

    it('links in live mode with the live key when test_mode=false, leaving test mode alone', async () => {
      const alice = randomUUID();
      const response = await link(
        ownerToken(),
        projectA,
        alice,
        { stripe_customer_id: 'cus_aliceLive' },
        '?test_mode=false',
      ).expect(200);
      expect(response.body).toEqual({
        project_id: projectA,
        user_id: alice,
        test_mode: false,
        stripe_customer_id: 'cus_aliceLive',
      });
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.projectLive]);
      await openPortal(alice, projectA, '?test_mode=false').expect(200);
      await openPortal(alice, projectA).expect(404, NO_CUSTOMER);
    });

    it('replaces the user earlier customer in the mode', async () => {
      const bob = randomUUID();
      await link(ownerToken(), projectA, bob, { stripe_customer_id: 'cus_bobTest' }).expect(200);
      await link(ownerToken(), projectA, bob, { stripe_customer_id: 'cus_replacement' }).expect(200);
      await openPortal(bob, projectA).expect(200);
      expect(stripe.requests.at(-1)?.form.customer).toBe('cus_replacement');
    });

    it("checks the customer with the project's current key right after a key rotation", async () => {
      const projects = fixtures(testApp.app);
      const project = randomUUID();
      const user = randomUUID();
      await projects.createProject({ id: project, name: 'rotating', ownerId: owner });
      await projects.setModeCredentials(project, 'test', { secretKey: keys.beforeRotation });
      await link(ownerToken(), project, user, { stripe_customer_id: 'cus_rotating' }).expect(200);

      await projects.setModeCredentials(project, 'test', { secretKey: keys.afterRotation });
      await link(ownerToken(), project, user, { stripe_customer_id: 'cus_rotating' }).expect(200);

      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.beforeRotation, keys.afterRotation]);
    });

    it('normalises upper-case UUIDs in the path', async () => {
      const carol = randomUUID();
      const response = await link(ownerToken(), projectA.toUpperCase(), carol.toUpperCase(), {
        stripe_customer_id: 'cus_carolTest',
      }).expect(200);
      expect(response.body).toMatchObject({ project_id: projectA, user_id: carol });
      await openPortal(carol, projectA).expect(200);
    });

    it('answers 422 for a customer Stripe does not know in that mode, and links nothing', async () => {
      const user = randomUUID();
      for (const [customer, query] of [
        ['cus_doesNotExist', ''],
        ['cus_aliceLive', ''], // exists, but in live mode only
        ['cus_aliceTest', '?test_mode=false'],
      ]) {
        const mode = query ? 'live' : 'test';
        const response = await link(ownerToken(), projectA, user, { stripe_customer_id: customer }, query).expect(422);
        expect(response.body).toEqual({
          detail: [
            {
              loc: ['body', 'stripe_customer_id'],
              msg: `Value error, no such customer in this project's Stripe ${mode} mode account`,
              type: 'value_error',
            },
          ],
        });
        expectNoKeyIn(response.text);
      }
      expect(stripe.requests).toHaveLength(3);
      await unlink(ownerToken(), projectA, user).expect(404, NO_CUSTOMER);
      await unlink(ownerToken(), projectA, user, '?test_mode=false').expect(404, NO_CUSTOMER);
    });

    it('answers 422 for a deleted customer, and links nothing', async () => {
      const user = randomUUID();
      const response = await link(ownerToken(), projectA, user, { stripe_customer_id: 'cus_deleted' }).expect(422);
      expect(response.body).toEqual({
        detail: [
          {
            loc: ['body', 'stripe_customer_id'],
            msg: "Value error, the customer has been deleted from this project's Stripe test mode account",
            type: 'value_error',
          },
        ],
      });
      expect(stripe.requests.map((sent) => sent.path)).toEqual(['/v1/customers/cus_deleted']);
      await openPortal(user, projectA).expect(404, NO_CUSTOMER);
    });

    const notACustomerId = 'Value error, stripe_customer_id must be a Stripe customer id (cus_...)';
    it.each<[unknown, string, string]>([
      [{}, 'missing', 'Field required'],
      [{ stripe_customer_id: null }, 'string_type', 'Input should be a valid string'],
      [{ stripe_customer_id: 42 }, 'string_type', 'Input should be a valid string'],
      ...['', 'cus_', 'cust_abc', 'sub_abc', 'cus_abc-def', 'cus_abc/../x', ' cus_abc', `cus_${'a'.repeat(251)}`].map(
        (id): [unknown, string, string] => [{ stripe_customer_id: id }, 'value_error', notACustomerId],
      ),
    ])('refuses the body %j without calling Stripe', async (body, type, msg) => {
      const response = await link(ownerToken(), projectA, randomUUID(), body).expect(422);
      expect(response.body).toEqual({ detail: [{ loc: ['body', 'stripe_customer_id'], msg, type }] });
      expect(stripe.requests).toHaveLength(0);
    });

    it('refuses a bad test_mode', async () => {
      const response = await link(
        ownerToken(),
        projectA,
        randomUUID(),
        { stripe_customer_id: 'cus_aliceTest' },
        '?test_mode=maybe',
      ).expect(422);
      expect(response.body).toEqual({
        detail: [
          {
            loc: ['query', 'test_mode'],
            msg: 'Input should be a valid boolean, unable to interpret input',
            type: 'bool_parsing',
          },
        ],
      });
      expect(stripe.requests).toHaveLength(0);
    });

    it.each([
      ['has no Stripe configuration', 'unconfigured', ''],
      ['has a deactivated configuration', 'inactive', ''],
      ['has no live key', 'onlyTest', '?test_mode=false'],
    ] as const)('answers 404 when the project %s', async (_name, kind, query) => {
      const response = await link(
        ownerToken(),
        await ownerProject(kind),
        randomUUID(),
        { stripe_customer_id: 'cus_onlyTest' },
        query,
      ).expect(404);
      expect(response.body).toEqual(NOT_CONFIGURED);
      expect(stripe.requests).toHaveLength(0);
    });

    it('answers 409 when the customer is linked to another user of the project in that mode', async () => {
      const projectOnlyTest = await ownerProject('onlyTest');
      const first = randomUUID();
      const second = randomUUID();
      await link(ownerToken(), projectOnlyTest, first, { stripe_customer_id: 'cus_onlyTest' }).expect(200);
      const response = await link(ownerToken(), projectOnlyTest, second, { stripe_customer_id: 'cus_onlyTest' }).expect(
        409,
      );
      expect(response.body).toEqual({
        detail: 'Stripe customer cus_onlyTest is already linked to another user of this project in test mode',
      });
      await openPortal(first, projectOnlyTest).expect(200);
      await openPortal(second, projectOnlyTest).expect(404, NO_CUSTOMER);
    });

    it.each([
      [
        { kind: 'authentication' as const },
        502,
        "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
      ],
      [
        { kind: 'permission' as const },
        502,
        "The project's test mode Stripe key lacks permission to read customers; use a secret key, or grant the restricted key read access to Customers",
      ],
      [{ kind: 'server-error' as const }, 503, 'Stripe is temporarily unavailable; try again shortly'],
    ])('answers %j from Stripe with %i, linking nothing', async (failure, status, detail) => {
      const user = randomUUID();
      stripe.failNext(failure);
      const response = await link(ownerToken(), projectA, user, { stripe_customer_id: 'cus_failing' }).expect(status);
      expect(response.body).toEqual({ detail });
      expectNoKeyIn(response.text);
      await unlink(ownerToken(), projectA, user).expect(404, NO_CUSTOMER);
    });
  });

  describe('customer links share the credential-validation limit (429)', () => {
    const putConfig = (token: string, projectId: string, body: unknown) =>
      authed(request(server()).put(`${BASE}/${projectId}/config`), token).send(body as object);

    it('counts every link of the developer with the validations: 10 together, then 429 without calling Stripe', async () => {
      const { projectId, token } = await newDeveloper();
      await putConfig(token, projectId, { test_secret_key: keys.projectTest }).expect(200);
      const windowOpened = Date.now();
      for (let call = 1; call <= 5; call += 1) {
        await validate(token, projectId, { secret_key: keys.test }).expect(200, VALID);
        const linked = await link(token, projectId, randomUUID(), { stripe_customer_id: 'cus_missing' }).expect(422);
        expect([linked.headers['x-ratelimit-limit'], linked.headers['x-ratelimit-remaining']]).toEqual([
          '10',
          String(10 - 2 * call),
        ]);
      }
      expect(stripe.requests).toHaveLength(10);

      const answer = await timed(
        link(token, projectId, randomUUID(), { stripe_customer_id: 'cus_aliceTest' }).expect(429),
      );
      const limited = answer.response;
      const retryAfter = limited.body.retry_after;
      expect(limited.body).toEqual({
        detail: `Too many Stripe key checks (credential validations, customer links and syncs share one limit); try again in ${retryAfter} seconds`,
        retry_after: retryAfter,
      });
      // The window opened with the first counted request: at most 60 s, at least what is left of them.
      expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((windowOpened + 60_000 - answer.answeredAt) / 1000));
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers['retry-after']).toBe(String(retryAfter));
      expect(limited.headers['x-ratelimit-limit']).toBe('10');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expectResetWithin(answer, retryAfter - 1, retryAfter);
      expectNoKeyIn(limited.text);

      // The budget is shared both ways, and a refused link is refused before its body or project are looked at.
      const refusedValidation = await validate(token, projectId, { secret_key: keys.test }).expect(429);
      expect(refusedValidation.body.detail).toMatch(/^Too many credential validations; try again in \d+ seconds$/);
      await link(token, randomUUID(), randomUUID(), { stripe_customer_id: 'not a customer' }).expect(429);
      expect(stripe.requests).toHaveLength(10);
      // Unlinking sends no key to Stripe: not limited.
      await unlink(token, projectId, randomUUID()).expect(404, NO_CUSTOMER);
    });

    it('no longer tells stored candidate keys apart once the limit is reached', async () => {
      const { projectId, token } = await newDeveloper();
      const statuses = [];
      for (const candidate of [keys.projectTest, keys.unknown, keys.projectTest, keys.unknown, keys.projectTest]) {
        await putConfig(token, projectId, { test_secret_key: candidate }).expect(200);
        for (let attempt = 0; attempt < 3; attempt += 1) {
          statuses.push((await link(token, projectId, randomUUID(), { stripe_customer_id: 'cus_nobody' })).status);
        }
      }
      // A known key answers 422 (no such customer), an unknown one 502, and from the eleventh link on, 429.
      expect(statuses).toEqual([422, 422, 422, 502, 502, 502, 422, 422, 422, 502, 429, 429, 429, 429, 429]);
      expect(stripe.requests).toHaveLength(10);
    });
  });

  describe('DELETE /projects/{project_id}/customers/{user_id}', () => {
    beforeEach(createOwnerProjects);

    it('removes the mapping of the mode (204), then answers 404', async () => {
      const dave = randomUUID();
      await link(ownerToken(), projectA, dave, { stripe_customer_id: 'cus_daveTest' }).expect(200);
      await link(ownerToken(), projectA, dave, { stripe_customer_id: 'cus_daveLive' }, '?test_mode=false').expect(200);

      const removed = await unlink(ownerToken(), projectA, dave, '?test_mode=true').expect(204);
      expect(removed.text).toBe('');
      await openPortal(dave, projectA).expect(404, NO_CUSTOMER);
      await openPortal(dave, projectA, '?test_mode=false').expect(200);

      await unlink(ownerToken(), projectA, dave).expect(404, NO_CUSTOMER);
      await unlink(ownerToken(), projectA, dave, '?test_mode=0').expect(204);
      await unlink(ownerToken(), projectA, dave, '?test_mode=0').expect(404, NO_CUSTOMER);
    });

    it('refuses a bad test_mode', async () => {
      await unlink(ownerToken(), projectA, randomUUID(), '?test_mode=2').expect(422, {
        detail: [
          {
            loc: ['query', 'test_mode'],
            msg: 'Input should be a valid boolean, unable to interpret input',
            type: 'bool_parsing',
          },
        ],
      });
    });
  });

  describe('access', () => {
    beforeEach(createOwnerProjects);

    type Caller = { token: string | undefined; project: string; user?: string };
    const endpoints: [string, (caller: Caller) => request.Test][] = [
      ['validate-credentials', ({ token, project }) => validate(token, project, { secret_key: keys.test })],
      ['webhook-urls', ({ token, project }) => webhookUrls(token, project)],
      [
        'link customer',
        ({ token, project, user }) => link(token, project, user ?? randomUUID(), { stripe_customer_id: 'cus_shared' }),
      ],
      ['unlink customer', ({ token, project, user }) => unlink(token, project, user ?? randomUUID())],
    ];
    const customerEndpoints = endpoints.filter(([name]) => name.includes('customer'));

    it.each(endpoints)("answers 404 on %s for another developer's project, changing nothing", async (_name, call) => {
      const erin = randomUUID();
      await link(ownerToken(), projectA, erin, { stripe_customer_id: 'cus_shared' }).expect(200);
      stripe.reset();

      const response = await call({ token: strangerToken(), project: projectA, user: erin }).expect(404);

      expect(response.body).toEqual(PROJECT_NOT_FOUND);
      expect(stripe.requests).toHaveLength(0);
      await openPortal(erin, projectA).expect(200);
      await unlink(ownerToken(), projectA, erin).expect(204);
    });

    it.each(endpoints)('answers 404 on %s for a project that does not exist', async (_name, call) => {
      const response = await call({ token: ownerToken(), project: randomUUID() }).expect(404);
      expect(response.body).toEqual(PROJECT_NOT_FOUND);
      expect(stripe.requests).toHaveLength(0);
    });

    it.each(endpoints)('answers 403 on %s to an end-user token', async (_name, call) => {
      const token = endUserToken(randomUUID(), projectA);
      await call({ token, project: projectA }).expect(403, DEVELOPER_REQUIRED);
      expect(stripe.requests).toHaveLength(0);
    });

    it.each(endpoints)('answers 401 on %s without a token', async (_name, call) => {
      const response = await call({ token: undefined, project: projectA }).expect(401);
      expect(response.body).toEqual(INVALID_CREDENTIALS);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it.each(endpoints)('answers 422 uuid_parsing on %s for a malformed project_id', async (_name, call) => {
      const response = await call({ token: ownerToken(), project: 'not-a-uuid' }).expect(422);
      expect(response.body).toEqual({
        detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
      });
      expect(stripe.requests).toHaveLength(0);
    });

    it.each(customerEndpoints)('answers 422 uuid_parsing on %s for a malformed user_id', async (_name, call) => {
      const response = await call({ token: ownerToken(), project: projectA, user: `${randomUUID()}x` }).expect(422);
      expect(response.body).toEqual({
        detail: [{ loc: ['path', 'user_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
      });
      expect(stripe.requests).toHaveLength(0);
    });
  });

  describe('OpenAPI document', () => {
    const operations = [
      [
        'post',
        '/validate-credentials',
        'validateStripeCredentials',
        ['200', '401', '403', '404', '413', '415', '422', '429', '502', '503'],
      ],
      ['get', '/webhook-urls', 'getStripeWebhookUrls', ['200', '401', '403', '404', '422', '503']],
      [
        'put',
        '/customers/{user_id}',
        'linkStripeCustomer',
        ['200', '401', '403', '404', '409', '413', '415', '422', '429', '502', '503'],
      ],
      ['delete', '/customers/{user_id}', 'unlinkStripeCustomer', ['204', '401', '403', '404', '422', '503']],
    ] as const;

    it.each(operations)(
      'documents %s %s as %s with every status, a schema and an example',
      async (method, path, id, statuses) => {
        const { body: document } = await request(server()).get('/openapi.json').expect(200);
        const operation = document.paths[`${BASE}/{project_id}${path}`][method];

        expect(operation.operationId).toBe(id);
        expect(operation.tags).toEqual(['Stripe Configuration']);
        expect(operation.security).toEqual([{ HTTPBearer: [] }]);
        expect(Object.keys(operation.responses).sort()).toEqual([...statuses]);
        for (const [status, response] of Object.entries<{
          content?: Record<string, { schema: unknown; example?: unknown; examples?: unknown }>;
        }>(operation.responses)) {
          if (status === '204') continue;
          const json = response.content?.['application/json'];
          expect({ status, schema: json?.schema }).toEqual({
            status,
            schema: expect.objectContaining({ $ref: expect.any(String) }),
          });
          if (!status.startsWith('2')) {
            expect({ status, hasExample: Boolean(json?.example ?? json?.examples) }).toEqual({
              status,
              hasExample: true,
            });
          }
        }
      },
    );

    it('documents the request and response schemas, the 429 body and the rate limit headers', async () => {
      const { body: document } = await request(server()).get('/openapi.json').expect(200);
      const { schemas } = document.components;
      const validateOperation = document.paths[`${BASE}/{project_id}/validate-credentials`].post;

      expect(schemas.ValidateStripeCredentialsRequest).toMatchObject({
        required: ['secret_key'],
        properties: {
          secret_key: { type: 'string', minLength: 1 },
          is_test_mode: { type: 'boolean', default: true },
        },
      });
      expect(schemas.ValidateStripeCredentialsResponse).toMatchObject({
        required: ['valid', 'message'],
        properties: { valid: { type: 'boolean' }, message: { type: 'string' } },
      });
      expect(schemas.StripeWebhookUrlsResponse).toMatchObject({
        required: ['test_webhook_url', 'live_webhook_url'],
      });
      expect(schemas.LinkStripeCustomerRequest).toMatchObject({
        required: ['stripe_customer_id'],
        properties: { stripe_customer_id: { type: 'string', pattern: '^cus_[A-Za-z0-9]+$' } },
      });
      expect(validateOperation.responses['429'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/RateLimitExceeded',
      );
      expect(schemas.RateLimitExceeded).toMatchObject({
        required: ['detail', 'retry_after'],
        properties: { detail: { type: 'string' }, retry_after: { type: 'integer' } },
      });
      expect(Object.keys(validateOperation.responses['429'].headers).sort()).toEqual([
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ]);
      expect(Object.keys(validateOperation.responses['200'].headers).sort()).toEqual([
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ]);
      const linkOperation = document.paths[`${BASE}/{project_id}/customers/{user_id}`].put;
      expect(Object.keys(linkOperation.responses['429'].headers).sort()).toEqual(
        Object.keys(validateOperation.responses['429'].headers).sort(),
      );
      expect(Object.keys(linkOperation.responses['200'].headers).sort()).toEqual([
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ]);
    });
  });
});
