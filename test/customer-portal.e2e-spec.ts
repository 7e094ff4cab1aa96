import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { STRIPE_API_VERSION, StripeClientFactory } from '#libs/stripe';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken, unsignedToken, WRONG_JWT_SECRET } from './support/tokens.js';
import { fixtures, type Fixtures } from './support/fixtures.js';

const PATH = '/api/v1/payments/stripe/customer-portal';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const INVALID_CREDENTIALS = { detail: 'Could not validate credentials' };
const NOT_CONFIGURED = { detail: 'Project not found or Stripe not configured' };
const NO_CUSTOMER = { detail: 'No Stripe customer found for user' };
const STRIPE_BUDGET_MS = 1500;

const keys = {
  aTest: 'sk_test_AAAAAAAAAAAAAAAAAAAAaaaa',
  aLive: 'sk_live_AAAAAAAAAAAAAAAAAAAAllll',
  aTestRotated: 'rk_test_RRRRRRRRRRRRRRRRRRRRrrrr',
  bTest: 'sk_test_BBBBBBBBBBBBBBBBBBBBbbbb',
  onlyTest: 'sk_test_OOOOOOOOOOOOOOOOOOOOoooo',
};

describe('POST /api/v1/payments/stripe/customer-portal', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  let projects: Fixtures;
  let prisma: PrismaService;

  const projectA = randomUUID();
  const projectB = randomUUID();
  const projectInactive = randomUUID();
  const projectUnconfigured = randomUUID();
  const projectOnlyTest = randomUUID();
  const owner = randomUUID();
  const alice = randomUUID(); // end user of project A with a test and a live customer
  const bob = randomUUID(); // end user of project B
  const carol = randomUUID(); // end user of project A with only a test customer
  const dave = randomUUID(); // end user of project A whose stored customer no longer exists in Stripe

  const server = () => testApp.app.getHttpServer();
  const post = (token: string | undefined, query = '') => {
    const call = request(server()).post(`${PATH}${query}`);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const aliceToken = () => endUserToken(alice, projectA);

  beforeAll(async () => {
    const stubUrl = await stripe.start();
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: stubUrl,
      STRIPE_TIMEOUT_MS: String(STRIPE_BUDGET_MS),
      // Alice opens the portal more often than the default limits allow; rate-limit.ops-spec.ts covers the limits.
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    projects = fixtures(testApp.app);
    prisma = testApp.app.get(PrismaService);

    for (const [id, name] of [
      [projectA, 'A'],
      [projectB, 'B'],
      [projectInactive, 'inactive'],
      [projectUnconfigured, 'unconfigured'],
      [projectOnlyTest, 'only test'],
    ]) {
      await projects.createProject({ id, name, ownerId: owner });
    }
    await projects.setModeCredentials(projectA, 'test', { secretKey: keys.aTest, webhookSecret: 'whsec_abcdef123456' });
    await projects.setModeCredentials(projectA, 'live', { secretKey: keys.aLive });
    await projects.setModeCredentials(projectB, 'test', { secretKey: keys.bTest });
    await projects.setModeCredentials(projectInactive, 'test', { secretKey: keys.bTest });
    await prisma.stripeConfig.update({ where: { projectId: projectInactive }, data: { isActive: false } });
    await projects.setModeCredentials(projectOnlyTest, 'test', { secretKey: keys.onlyTest });

    await projects.linkCustomer(projectA, alice, 'test', 'cus_aliceTest');
    await projects.linkCustomer(projectA, alice, 'live', 'cus_aliceLive');
    await projects.linkCustomer(projectA, carol, 'test', 'cus_carolTest');
    await projects.linkCustomer(projectA, dave, 'test', 'cus_daveDeleted');
    await projects.linkCustomer(projectB, bob, 'test', 'cus_bobTest');
    await projects.linkCustomer(projectInactive, bob, 'test', 'cus_bobInactive');
    await projects.linkCustomer(projectOnlyTest, alice, 'live', 'cus_onlyTestLive');

    stripe.addAccount(keys.aTest, ['cus_aliceTest', 'cus_carolTest']);
    stripe.addAccount(keys.aLive, ['cus_aliceLive']);
    stripe.addAccount(keys.aTestRotated, ['cus_aliceTest', 'cus_carolTest']);
    stripe.addAccount(keys.bTest, ['cus_bobTest', 'cus_bobInactive']);
    stripe.addAccount(keys.onlyTest, []);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  describe('success', () => {
    it('returns the Stripe session URL for the user own test-mode customer, with the project test key', async () => {
      const response = await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);

      expect(stripe.requests).toHaveLength(1);
      const [sent] = stripe.requests;
      expect(response.body).toEqual({
        portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\/p\/session\/test_/),
      });
      expect(response.headers['cache-control']).toBe('no-store');
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/v1/billing_portal/sessions');
      expect(sent.apiKey).toBe(keys.aTest);
      expect(sent.stripeVersion).toBe(STRIPE_API_VERSION);
      expect(sent.form).toEqual({ customer: 'cus_aliceTest', return_url: RETURN_URL });
      expect(sent.headers['x-stripe-client-telemetry']).toBeUndefined();
    });

    it('defaults test_mode to true and uses the live key and live customer with test_mode=false', async () => {
      await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);
      const live = await post(aliceToken(), '?test_mode=false').send({ return_url: RETURN_URL }).expect(200);

      expect(live.body.portal_url).toMatch(/\/p\/session\/live_/);
      expect(stripe.requests.map((sent) => [sent.apiKey, sent.form.customer])).toEqual([
        [keys.aTest, 'cus_aliceTest'],
        [keys.aLive, 'cus_aliceLive'],
      ]);
    });

    it.each([
      ['?test_mode=0', keys.aLive],
      ['?test_mode=OFF', keys.aLive],
      ['?test_mode=n', keys.aLive],
      ['?test_mode=Yes', keys.aTest],
      ['?test_mode=false&test_mode=true', keys.aTest],
      ['?test_mode=true&test_mode=f', keys.aLive],
    ])('reads %s as its mode', async (query, expectedKey) => {
      await post(aliceToken(), query).send({ return_url: RETURN_URL }).expect(200);
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([expectedKey]);
    });

    it('ignores unknown body fields and sends the optional locale and flow deep link', async () => {
      await post(aliceToken())
        .send({
          return_url: RETURN_URL,
          locale: 'fr-CA',
          flow: { type: 'subscription_cancel', subscription: 'sub_123ABC' },
          customer: 'cus_someoneElse',
          unknown: 1,
        })
        .expect(200);

      expect(stripe.requests[0].form).toEqual({
        customer: 'cus_aliceTest',
        return_url: RETURN_URL,
        locale: 'fr-CA',
        'flow_data[type]': 'subscription_cancel',
        'flow_data[subscription_cancel][subscription]': 'sub_123ABC',
      });
    });

    it('sends payment_method_update flows without a subscription', async () => {
      await post(aliceToken())
        .send({ return_url: RETURN_URL, flow: { type: 'payment_method_update', subscription: 'sub_ignored' } })
        .expect(200);
      expect(stripe.requests[0].form).toEqual({
        customer: 'cus_aliceTest',
        return_url: RETURN_URL,
        'flow_data[type]': 'payment_method_update',
      });
    });

    it('sends the project portal configuration of the requested mode', async () => {
      await projects.setModeCredentials(projectB, 'test', {
        secretKey: keys.bTest,
        portalConfigurationId: 'bpc_1Bconfig',
      });
      try {
        await post(endUserToken(bob, projectB)).send({ return_url: RETURN_URL }).expect(200);
        expect(stripe.requests[0].form).toEqual({
          customer: 'cus_bobTest',
          return_url: RETURN_URL,
          configuration: 'bpc_1Bconfig',
        });
      } finally {
        await projects.setModeCredentials(projectB, 'test', { secretKey: keys.bTest, portalConfigurationId: '' });
      }
    });

    it('uses a rotated key on the very next request', async () => {
      await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);
      await projects.setModeCredentials(projectA, 'test', { secretKey: keys.aTestRotated });
      try {
        await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);
        expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.aTest, keys.aTestRotated]);
      } finally {
        await projects.setModeCredentials(projectA, 'test', { secretKey: keys.aTest });
      }
    });

    it('makes one database round trip and one Stripe request per call, and builds no Stripe client, after warm-up', async () => {
      const clients = testApp.app.get(StripeClientFactory);
      await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);
      const before = {
        statements: prisma.statementCount,
        clients: clients.clientsBuilt,
        stripe: stripe.requests.length,
      };

      for (let call = 0; call < 10; call += 1) await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);

      expect({
        statements: prisma.statementCount - before.statements,
        clients: clients.clientsBuilt - before.clients,
        stripe: stripe.requests.length - before.stripe,
      }).toEqual({ statements: 10, clients: 0, stripe: 10 });
    });

    it('accepts a token with upper-case UUIDs in sub and project_id', async () => {
      await post(endUserToken(alice.toUpperCase(), projectA.toUpperCase()))
        .send({ return_url: RETURN_URL })
        .expect(200);
      expect(stripe.requests[0].form.customer).toBe('cus_aliceTest');
    });
  });

  describe('authentication (401)', () => {
    const expectUnauthorized = async (call: request.Test) => {
      const response = await call.send({ return_url: RETURN_URL }).expect(401);
      expect(response.body).toEqual(INVALID_CREDENTIALS);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(stripe.requests).toHaveLength(0);
    };

    it('refuses a request without Authorization', async () => {
      await expectUnauthorized(post(undefined));
    });

    it.each([
      ['another scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['the scheme alone', () => 'Bearer'],
      ['a token that is not a JWT', () => 'Bearer not-a-jwt'],
      ['a token without the scheme', () => aliceTokenForTable()],
    ])('refuses %s', async (_name, header) => {
      await expectUnauthorized(request(server()).post(PATH).set('Authorization', header()));
    });

    it.each([
      ['a wrong signature', () => endUserToken(alice, projectA, { secret: WRONG_JWT_SECRET })],
      ['alg none', () => unsignedToken({ sub: alice, project_id: projectA, type: 'access', exp: future() })],
      ['an expired token', () => endUserToken(alice, projectA, { expiresInSeconds: -120 })],
      ['a refresh token', () => endUserToken(alice, projectA, { type: 'refresh' })],
      ['a token without type', () => endUserToken(alice, projectA, { type: undefined })],
      ['a token without sub', () => accessToken({ sub: undefined, projectId: projectA })],
      ['a non-UUID sub', () => accessToken({ sub: 'alice', projectId: projectA })],
      ['a numeric sub', () => accessToken({ sub: 42, projectId: projectA })],
      ['a non-UUID project_id', () => endUserToken(alice, 'project-a')],
      ['an empty project_id', () => endUserToken(alice, '')],
      ['a future nbf beyond the leeway', () => endUserToken(alice, projectA, { extra: { nbf: future(600) } })],
      ['a token without exp', () => endUserToken(alice, projectA, { extra: { exp: undefined } })],
    ])('refuses %s', async (_name, token) => {
      await expectUnauthorized(post(token()));
    });

    it('accepts nbf slightly in the future (clock leeway)', async () => {
      await post(endUserToken(alice, projectA, { extra: { nbf: future(5) } }))
        .send({ return_url: RETURN_URL })
        .expect(200);
    });

    it('authenticates before validating the body', async () => {
      const response = await post('garbage').send({ return_url: 'javascript:alert(1)' }).expect(401);
      expect(response.body).toEqual(INVALID_CREDENTIALS);
    });

    function aliceTokenForTable(): string {
      return aliceToken();
    }
  });

  describe('scope (403)', () => {
    it('refuses a developer token (no project_id) before validating the body', async () => {
      const response = await post(accessToken({ sub: owner }))
        .send({})
        .expect(403);
      expect(response.body).toEqual({
        detail: 'This endpoint requires an end-user access token with project scope (project_id claim)',
      });
      expect(stripe.requests).toHaveLength(0);
    });
  });

  describe('validation (422)', () => {
    const expect422 = async (call: request.Test, detail: unknown) => {
      const response = await call.expect(422);
      expect(response.body).toEqual({ detail });
      expect(stripe.requests).toHaveLength(0);
      return response;
    };
    const boolParsing = [
      {
        loc: ['query', 'test_mode'],
        msg: 'Input should be a valid boolean, unable to interpret input',
        type: 'bool_parsing',
      },
    ];

    it.each(['?test_mode=maybe', '?test_mode=', '?test_mode', '?test_mode=true&test_mode=2', '?test_mode=%20true'])(
      'refuses %s',
      async (query) => {
        await expect422(post(aliceToken(), query).send({ return_url: RETURN_URL }), boolParsing);
      },
    );

    it('refuses a missing body', async () => {
      await expect422(post(aliceToken()), [{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
    });

    it('refuses a non-JSON content type as a missing body', async () => {
      await expect422(post(aliceToken()).set('Content-Type', 'text/plain').send(`return_url=${RETURN_URL}`), [
        { loc: ['body'], msg: 'Field required', type: 'missing' },
      ]);
    });

    it('refuses malformed JSON', async () => {
      await expect422(post(aliceToken()).set('Content-Type', 'application/json').send('{"return_url": '), [
        { loc: ['body', 15], msg: 'JSON decode error', type: 'json_invalid' },
      ]);
    });

    it.each([['[]'], ['"https://example.com"'], ['42'], ['null'], ['true']])(
      'refuses the non-object body %s',
      async (raw) => {
        await expect422(post(aliceToken()).set('Content-Type', 'application/json').send(raw), [
          {
            loc: ['body'],
            msg: 'Input should be a valid dictionary or object to extract fields from',
            type: 'model_attributes_type',
          },
        ]);
      },
    );

    it.each([
      [{}, 'missing', 'Field required'],
      [{ return_url: null }, 'string_type', 'Input should be a valid string'],
      [{ return_url: 42 }, 'string_type', 'Input should be a valid string'],
      [{ return_url: ['https://a.example'] }, 'string_type', 'Input should be a valid string'],
      [{ return_url: '' }, 'string_too_short', 'String should have at least 1 character'],
      [
        { return_url: `https://example.com/${'a'.repeat(2029)}` },
        'string_too_long',
        'String should have at most 2048 characters',
      ],
    ])('refuses the body #%#', async (body, type, msg) => {
      await expect422(post(aliceToken()).send(body), [{ loc: ['body', 'return_url'], msg, type }]);
    });

    it('accepts a return_url of exactly 2048 characters', async () => {
      const url = `https://example.com/${'a'.repeat(2028)}`;
      expect(url).toHaveLength(2048);
      await post(aliceToken()).send({ return_url: url }).expect(200);
    });

    it.each([
      ['javascript:alert(1)', 'return_url must be an absolute URL starting with http:// or https://'],
      ['/account/billing', 'return_url must be an absolute URL starting with http:// or https://'],
      ['https:\\\\evil.example', 'return_url must be an absolute URL starting with http:// or https://'],
      ['http:evil.example', 'return_url must be an absolute URL starting with http:// or https://'],
      ['//evil.example/x', 'return_url must be an absolute URL starting with http:// or https://'],
      [
        'https://evil.example\\@good.example',
        'return_url must not contain whitespace, control characters or backslashes',
      ],
      ['https://exa mple.com', 'return_url must not contain whitespace, control characters or backslashes'],
      ['https://example.com/\u0000', 'text must not contain NUL characters or unpaired surrogates'],
      ['https://example.com/\ud800', 'text must not contain NUL characters or unpaired surrogates'],
      ['https://user:secret@example.com', 'return_url must not contain a username or password'],
      ['https://', 'return_url must include a host'],
      ['https://example.com:99999/', 'return_url has an invalid port'],
    ])('refuses the return_url %j without echoing it', async (url, reason) => {
      const response = await expect422(post(aliceToken()).send({ return_url: url }), [
        { loc: ['body', 'return_url'], msg: `Value error, ${reason}`, type: 'value_error' },
      ]);
      if (url.length > 8) expect(response.text).not.toContain(url.slice(8));
    });

    it('refuses an unknown locale', async () => {
      const response = await post(aliceToken()).send({ return_url: RETURN_URL, locale: 'xx' }).expect(422);
      expect(response.body.detail).toHaveLength(1);
      expect(response.body.detail[0]).toMatchObject({ loc: ['body', 'locale'], type: 'literal_error' });
      expect(response.body.detail[0].msg).toMatch(/^Input should be 'auto', 'bg', .* or 'zh-TW'$/);
    });

    it.each([
      [{ type: 'subscription_cancel' }, ['body', 'flow', 'subscription'], 'missing', 'Field required'],
      [
        { type: 'subscription_update', subscription: 7 },
        ['body', 'flow', 'subscription'],
        'string_type',
        'Input should be a valid string',
      ],
      [
        { type: 'subscription_update', subscription: 'cus_123' },
        ['body', 'flow', 'subscription'],
        'value_error',
        'Value error, subscription must be a Stripe subscription id (sub_...)',
      ],
      [{}, ['body', 'flow', 'type'], 'missing', 'Field required'],
      [
        { type: 'customer_update' },
        ['body', 'flow', 'type'],
        'literal_error',
        "Input should be 'payment_method_update', 'subscription_cancel' or 'subscription_update'",
      ],
      [
        'subscription_cancel',
        ['body', 'flow'],
        'model_attributes_type',
        'Input should be a valid dictionary or object to extract fields from',
      ],
    ])('refuses the flow %j', async (flow, loc, type, msg) => {
      await expect422(post(aliceToken()).send({ return_url: RETURN_URL, flow }), [{ loc, msg, type }]);
    });

    it('refuses an Idempotency-Key over 255 characters', async () => {
      await expect422(post(aliceToken()).set('Idempotency-Key', 'k'.repeat(256)).send({ return_url: RETURN_URL }), [
        {
          loc: ['header', 'idempotency-key'],
          msg: 'String should have at most 255 characters',
          type: 'string_too_long',
        },
      ]);
    });

    it('validates before looking up the project', async () => {
      await expect422(post(endUserToken(alice, randomUUID())).send({ return_url: 'ftp://x.example' }), [
        {
          loc: ['body', 'return_url'],
          msg: 'Value error, return_url must be an absolute URL starting with http:// or https://',
          type: 'value_error',
        },
      ]);
    });
  });

  describe('project and customer (404)', () => {
    it.each([
      ['the project does not exist', () => endUserToken(alice, randomUUID()), ''],
      ['its Stripe configuration is inactive', () => endUserToken(bob, projectInactive), ''],
      ['it has no Stripe configuration', () => endUserToken(alice, projectUnconfigured), ''],
      ['it has no secret key for live mode', () => endUserToken(alice, projectOnlyTest), '?test_mode=false'],
    ])('answers "Project not found or Stripe not configured" when %s', async (_name, token, query) => {
      const response = await post(token(), query).send({ return_url: RETURN_URL }).expect(404);
      expect(response.body).toEqual(NOT_CONFIGURED);
      expect(stripe.requests).toHaveLength(0);
    });

    it('answers "No Stripe customer found for user" when the user has none in the project', async () => {
      const response = await post(endUserToken(randomUUID(), projectA)).send({ return_url: RETURN_URL }).expect(404);
      expect(response.body).toEqual(NO_CUSTOMER);
      expect(stripe.requests).toHaveLength(0);
    });

    it('never serves a customer of another project (tenant isolation)', async () => {
      // Alice has customers in project A only; with a token for project B she has none.
      const crossTenant = await post(endUserToken(alice, projectB)).send({ return_url: RETURN_URL }).expect(404);
      expect(crossTenant.body).toEqual(NO_CUSTOMER);
      // Bob's token for project B reaches Bob's customer with B's key, never A's key or customers.
      await post(endUserToken(bob, projectB)).send({ return_url: RETURN_URL }).expect(200);
      expect(stripe.requests.map((sent) => [sent.apiKey, sent.form.customer])).toEqual([[keys.bTest, 'cus_bobTest']]);
    });

    it('never serves a test-mode customer in live mode', async () => {
      const response = await post(endUserToken(carol, projectA), '?test_mode=false')
        .send({ return_url: RETURN_URL })
        .expect(404);
      expect(response.body).toEqual(NO_CUSTOMER);
      expect(stripe.requests).toHaveLength(0);
    });

    it('answers 404 when Stripe no longer knows the stored customer', async () => {
      const response = await post(endUserToken(dave, projectA)).send({ return_url: RETURN_URL }).expect(404);
      expect(response.body).toEqual(NO_CUSTOMER);
      expect(stripe.requests).toHaveLength(1);
    });
  });

  describe('Stripe failures', () => {
    it.each([
      [
        { kind: 'authentication' as const },
        "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
      ],
      [
        { kind: 'permission' as const },
        "The project's test mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to the Customer portal",
      ],
      [
        { kind: 'portal-not-configured' as const },
        "The Stripe Customer Portal is not set up for the project's test mode; save the portal settings in the Stripe Dashboard (Settings > Billing > Customer portal) or store a portal configuration id",
      ],
      [
        { kind: 'resource-missing' as const, param: 'configuration' },
        "Stripe rejected the request (parameter: configuration): No such configuration: 'xyz'",
      ],
    ])('answers 502 for %j with a detail for the project developer', async (failure, detail) => {
      stripe.failNext(failure);
      const response = await post(aliceToken()).send({ return_url: RETURN_URL }).expect(502);
      expect(response.body).toEqual({ detail });
      expect(response.text).not.toContain('sk_test');
      expect(response.text).not.toContain(keys.aTest.slice(-4));
    });

    it('answers 503 with Retry-After when Stripe rate limits', async () => {
      stripe.failNext({ kind: 'rate-limit', retryAfter: 7 });
      const response = await post(aliceToken()).send({ return_url: RETURN_URL }).expect(503);
      expect(response.body).toEqual({ detail: 'Stripe is rate limiting requests for this project; try again shortly' });
      expect(response.headers['retry-after']).toBe('7');
    });

    it('answers 503 with Retry-After when Stripe fails with a 500', async () => {
      stripe.failNext({ kind: 'server-error' });
      const response = await post(aliceToken()).send({ return_url: RETURN_URL }).expect(503);
      expect(response.body).toEqual({ detail: 'Stripe is temporarily unavailable; try again shortly' });
      expect(response.headers['retry-after']).toBe('5');
    });

    it('answers 503 within the time budget when Stripe is too slow', async () => {
      stripe.failNext({ kind: 'slow', delayMs: STRIPE_BUDGET_MS * 3 });
      const started = Date.now();
      const response = await post(aliceToken()).send({ return_url: RETURN_URL }).expect(503);
      const elapsed = Date.now() - started;
      expect(response.body).toEqual({
        detail: `Stripe did not answer within ${STRIPE_BUDGET_MS} ms; try again shortly`,
      });
      expect(response.headers['retry-after']).toBe('2');
      expect(elapsed).toBeGreaterThanOrEqual(STRIPE_BUDGET_MS - 50);
      expect(elapsed).toBeLessThan(STRIPE_BUDGET_MS + 1000);
    });
  });

  describe('Idempotency-Key', () => {
    it('gives the same user the same session when retrying with the same key', async () => {
      const first = await post(aliceToken())
        .set('Idempotency-Key', 'retry-1')
        .send({ return_url: RETURN_URL })
        .expect(200);
      const second = await post(aliceToken())
        .set('Idempotency-Key', 'retry-1')
        .send({ return_url: RETURN_URL })
        .expect(200);

      expect(second.body).toEqual(first.body);
      const [a, b] = stripe.requests;
      expect(a.idempotencyKey).toBe(b.idempotencyKey);
      expect(a.idempotencyKey).toMatch(/^portal-[0-9a-f]{64}$/);
      expect(a.idempotencyKey).not.toContain('retry-1');
    });

    it('never lets two users collide on the same client key', async () => {
      const forAlice = await post(aliceToken())
        .set('Idempotency-Key', 'shared')
        .send({ return_url: RETURN_URL })
        .expect(200);
      const forCarol = await post(endUserToken(carol, projectA))
        .set('Idempotency-Key', 'shared')
        .send({ return_url: RETURN_URL })
        .expect(200);

      expect(forCarol.body.portal_url).not.toBe(forAlice.body.portal_url);
      expect(stripe.requests[0].idempotencyKey).not.toBe(stripe.requests[1].idempotencyKey);
      expect(stripe.requests.map((sent) => sent.form.customer)).toEqual(['cus_aliceTest', 'cus_carolTest']);
    });

    it('scopes the key by mode', async () => {
      await post(aliceToken()).set('Idempotency-Key', 'mode').send({ return_url: RETURN_URL }).expect(200);
      await post(aliceToken(), '?test_mode=false')
        .set('Idempotency-Key', 'mode')
        .send({ return_url: RETURN_URL })
        .expect(200);
      expect(stripe.requests[0].idempotencyKey).not.toBe(stripe.requests[1].idempotencyKey);
    });

    it('answers 409 when the key is reused with different parameters', async () => {
      await post(aliceToken()).set('Idempotency-Key', 'reuse').send({ return_url: RETURN_URL }).expect(200);
      const response = await post(aliceToken())
        .set('Idempotency-Key', 'reuse')
        .send({ return_url: `${RETURN_URL}?other` })
        .expect(409);
      expect(response.body).toEqual({
        detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
      });
    });

    it('lets the SDK generate a key when the client sends none', async () => {
      await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);
      await post(aliceToken()).send({ return_url: RETURN_URL }).expect(200);
      const [a, b] = stripe.requests;
      expect(a.idempotencyKey).toEqual(expect.any(String));
      expect(a.idempotencyKey).not.toMatch(/^portal-/);
      expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    });
  });

  describe('OpenAPI document', () => {
    it('documents the operation, its security, parameters and every status with a schema and an example', async () => {
      const { body: document } = await request(server()).get('/openapi.json').expect(200);
      const operation = document.paths['/api/v1/payments/stripe/customer-portal'].post;

      expect(operation.operationId).toBe('createCustomerPortalSession');
      expect(operation.tags).toEqual(['Stripe Subscriptions']);
      expect(operation.security).toEqual([{ HTTPBearer: [] }]);
      expect(document.components.securitySchemes.HTTPBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(operation.parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'test_mode',
            in: 'query',
            required: false,
            schema: expect.objectContaining({ type: 'boolean', default: true }),
          }),
          expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
        ]),
      );
      expect(operation.requestBody.required).toBe(true);
      const requestSchema = document.components.schemas.CustomerPortalRequest;
      expect(requestSchema.required).toEqual(['return_url']);
      expect(requestSchema.properties.return_url).toMatchObject({ type: 'string', minLength: 1, maxLength: 2048 });
      expect(document.components.schemas.CustomerPortalResponse).toMatchObject({
        required: ['portal_url'],
        properties: { portal_url: { type: 'string' } },
      });

      expect(Object.keys(operation.responses).sort()).toEqual([
        '200',
        '401',
        '403',
        '404',
        '409',
        '413',
        '415',
        '422',
        '429',
        '502',
        '503',
      ]);
      for (const [status, response] of Object.entries<{
        content: Record<string, { schema: unknown; example?: unknown; examples?: unknown }>;
      }>(operation.responses)) {
        const json = response.content['application/json'];
        expect({ status, schema: json.schema }).toEqual({
          status,
          schema: expect.objectContaining({ $ref: expect.any(String) }),
        });
        if (status !== '200')
          expect({ status, hasExample: Boolean(json.example ?? json.examples) }).toEqual({ status, hasExample: true });
      }
      expect(operation.responses['422'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/HTTPValidationError',
      );
    });

    it('serves exactly the committed openapi.json', async () => {
      const { body: served } = await request(server()).get('/openapi.json').expect(200);
      const committed: unknown = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
      expect(served).toEqual(committed);
    });

    it('serves Swagger UI at /docs', async () => {
      const response = await request(server()).get('/docs').redirects(1).expect(200);
      expect(response.text).toContain('swagger-ui');
    });
  });

  describe('secrets at rest', () => {
    it('stores Stripe secret keys and webhook secrets encrypted, never in plaintext', async () => {
      await projects.setModeCredentials(projectA, 'test', {
        secretKey: keys.aTest,
        webhookSecret: 'whsec_abcdef123456',
      });
      const rows = await prisma.$queryRaw<
        Record<string, unknown>[]
      >`SELECT * FROM stripe_configs WHERE project_id = ${projectA}::uuid`;
      const stored = JSON.stringify(rows);
      expect(rows).toHaveLength(1);
      expect(stored).not.toContain(keys.aTest);
      expect(stored).not.toContain(keys.aLive);
      expect(stored).not.toContain('whsec_abcdef123456');
      expect(stored).not.toContain(Buffer.from(keys.aTest).toString('base64'));
      expect(rows[0].test_secret_key_enc).toMatch(/^v1\.[0-9a-f]{12}\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(rows[0].test_webhook_secret_enc).toMatch(/^v1\./);
    });
  });
});

function future(seconds = 900): number {
  return Math.floor(Date.now() / 1000) + seconds;
}
