import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';
import { fixtures } from './support/fixtures.js';
import { parseCommand, UsageError, type Command } from '../apps/cli/src/cli-arguments.js';
import { runCommand } from '../apps/cli/src/commands.js';
import { PrismaService } from '#libs/database';
import { ProjectNotFound } from '#libs/projects';
import { expectResetWithin, timed } from './support/rate-limit-reset.js';

type RunnableCommand = Exclude<Command, { name: 'help' }>;

const PORTAL = '/api/v1/payments/stripe/customer-portal';
const configPath = (projectId: string) => `/api/v1/payments/stripe/projects/${projectId}/config`;
const keys = {
  test: 'sk_test_51ConfigTestKey000000aaaa',
  testRotated: 'rk_test_51ConfigRotated00000bbbb',
  live: 'sk_live_51ConfigLiveKey000000cccc',
  publishable: 'pk_test_51ConfigPublishable00dddd',
  webhook: 'whsec_ConfigWebhookSecret0000eeee',
};
const ALL_SECRETS = Object.values(keys);

describe('Stripe configuration API', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  // Fresh developers per test: configuration writes are rate limited per developer.
  let developer: string;
  let otherDeveloper: string;
  const endUser = randomUUID();
  const userWithoutCustomer = randomUUID();
  let project: string;

  const server = () => testApp.app.getHttpServer();
  const asDeveloper = (token = accessToken({ sub: developer })) => ({
    get: (path: string) => request(server()).get(path).set('Authorization', `Bearer ${token}`),
    put: (path: string, body: unknown) =>
      request(server())
        .put(path)
        .set('Authorization', `Bearer ${token}`)
        .send(body as object),
    delete: (path: string) => request(server()).delete(path).set('Authorization', `Bearer ${token}`),
  });
  const openPortal = (user = endUser, returnUrl = 'https://app.example.com/billing') =>
    request(server())
      .post(PORTAL)
      .set('Authorization', `Bearer ${endUserToken(user, project)}`)
      .send({ return_url: returnUrl });
  const expectNoSecrets = (text: string) => {
    for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: await stripe.start() });
    stripe.addAccount(keys.test, ['cus_configUser']);
    stripe.addAccount(keys.testRotated, ['cus_configUser']);
    stripe.addAccount(keys.live, []);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(async () => {
    stripe.reset();
    developer = randomUUID();
    otherDeveloper = randomUUID();
    project = randomUUID();
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: project, name: 'Configured', ownerId: developer });
    await projects.linkCustomer(project, endUser, 'test', 'cus_configUser');
  });

  it('answers a JSON null before anything is configured', async () => {
    const response = await asDeveloper().get(configPath(project)).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.text).toBe('null');
  });

  it('creates the configuration with masked credentials, and the portal uses it', async () => {
    const response = await asDeveloper()
      .put(configPath(project), {
        test_secret_key: keys.test,
        test_publishable_key: keys.publishable,
        test_webhook_secret: keys.webhook,
      })
      .expect(200);

    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: project,
      is_active: true,
      has_test_credentials: true,
      has_live_credentials: false,
      test_secret_key_masked: 'sk_test_...aaaa',
      test_publishable_key_masked: 'pk_test_...dddd',
      test_webhook_secret_masked: 'whsec_...eeee',
      live_secret_key_masked: null,
      live_publishable_key_masked: null,
      live_webhook_secret_masked: null,
      test_portal_configuration_id: null,
      live_portal_configuration_id: null,
      allowed_return_url_origins: [],
      allowed_price_ids: [],
      trial_period_days: null,
      past_due_grace_days: 0,
      test_configured_at: expect.any(String),
      live_configured_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expectNoSecrets(response.text);
    const fetched = await asDeveloper().get(configPath(project)).expect(200);
    expect(fetched.body).toEqual(response.body);

    await openPortal().expect(200);
    expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.test]);
  });

  it('updates partially: absent and null keep a value, "" clears it; configured_at moves only with credentials', async () => {
    const created = (
      await asDeveloper()
        .put(configPath(project), { test_secret_key: keys.test, test_webhook_secret: keys.webhook })
        .expect(200)
    ).body;

    const withPortal = (
      await asDeveloper()
        .put(configPath(project), { test_portal_configuration_id: 'bpc_1Portal', test_webhook_secret: null })
        .expect(200)
    ).body;
    expect(withPortal.test_secret_key_masked).toBe('sk_test_...aaaa');
    expect(withPortal.test_webhook_secret_masked).toBe('whsec_...eeee');
    expect(withPortal.test_portal_configuration_id).toBe('bpc_1Portal');
    expect(withPortal.test_configured_at).toBe(created.test_configured_at);

    const cleared = (
      await asDeveloper().put(configPath(project), { test_webhook_secret: '', live_secret_key: keys.live }).expect(200)
    ).body;
    expect(cleared.test_webhook_secret_masked).toBeNull();
    expect(cleared.test_secret_key_masked).toBe('sk_test_...aaaa');
    expect(cleared.has_live_credentials).toBe(true);
    expect(cleared.live_secret_key_masked).toBe('sk_live_...cccc');
    expect(cleared.live_configured_at).toEqual(expect.any(String));
    expect(Date.parse(cleared.test_configured_at)).toBeGreaterThanOrEqual(Date.parse(created.test_configured_at));

    const removed = (await asDeveloper().put(configPath(project), { test_secret_key: '' }).expect(200)).body;
    expect(removed).toMatchObject({
      has_test_credentials: false,
      test_secret_key_masked: null,
      has_live_credentials: true,
    });
    const portal = await openPortal().expect(404);
    expect(portal.body).toEqual({ detail: 'Project not found or Stripe not configured' });
  });

  it.each([
    ['test_secret_key', keys.live, 'test_secret_key must start with sk_test_ or rk_test_ for test mode'],
    ['test_secret_key', 'pk_test_51NotASecret', 'test_secret_key must start with sk_test_ or rk_test_ for test mode'],
    ['live_secret_key', keys.test, 'live_secret_key must start with sk_live_ or rk_live_ for live mode'],
    ['test_publishable_key', 'pk_live_51Wrong', 'test_publishable_key must start with pk_test_ for test mode'],
    ['live_publishable_key', keys.publishable, 'live_publishable_key must start with pk_live_ for live mode'],
    ['test_webhook_secret', 'wh_abc', 'test_webhook_secret must start with whsec_ for test mode'],
    ['live_webhook_secret', 'whsec_', 'live_webhook_secret is not a well-formed Stripe identifier'],
    ['test_portal_configuration_id', 'cfg_123', 'test_portal_configuration_id must start with bpc_ for test mode'],
    ['test_secret_key', 'sk_test_has space', 'test_secret_key is not a well-formed Stripe identifier'],
  ])('refuses %s = %j with a 422 that never echoes the value', async (field, value, reason) => {
    const response = await asDeveloper()
      .put(configPath(project), { [field]: value })
      .expect(422);
    expect(response.body).toEqual({
      detail: [{ loc: ['body', field], msg: `Value error, ${reason}`, type: 'value_error' }],
    });
    expect(response.text).not.toContain(value);
    expect((await asDeveloper().get(configPath(project)).expect(200)).text).toBe('null');
  });

  it.each([
    [{ test_secret_key: 42 }, ['body', 'test_secret_key'], 'string_type', 'Input should be a valid string'],
    [
      { allowed_return_url_origins: 'https://a.example' },
      ['body', 'allowed_return_url_origins'],
      'list_type',
      'Input should be a valid list',
    ],
    [
      { allowed_return_url_origins: ['https://ok.example', 'https://a.example/path'] },
      ['body', 'allowed_return_url_origins'],
      'value_error',
      'Value error, allowed_return_url_origins[1] must be an origin like https://app.example.com (no path)',
    ],
    [
      { allowed_price_ids: 'price_1Monthly' },
      ['body', 'allowed_price_ids'],
      'list_type',
      'Input should be a valid list',
    ],
    [
      { allowed_price_ids: ['price_1Monthly', 'prod_1Product'] },
      ['body', 'allowed_price_ids'],
      'value_error',
      'Value error, allowed_price_ids[1] must be a Stripe price id (price_...)',
    ],
    [
      { allowed_price_ids: ['price_1Monthly', 7] },
      ['body', 'allowed_price_ids'],
      'value_error',
      'Value error, allowed_price_ids[1] must be a string',
    ],
    [
      { allowed_price_ids: ['price_1 Monthly'] },
      ['body', 'allowed_price_ids'],
      'value_error',
      'Value error, allowed_price_ids[0] must be a Stripe price id (price_...)',
    ],
    [
      { allowed_price_ids: Array.from({ length: 101 }, (_, index) => `price_${index}`) },
      ['body', 'allowed_price_ids'],
      'too_long',
      'List should have at most 100 items',
    ],
    [
      { trial_period_days: -1 },
      ['body', 'trial_period_days'],
      'greater_than_equal',
      'Input should be greater than or equal to 0',
    ],
    [
      { trial_period_days: 731 },
      ['body', 'trial_period_days'],
      'less_than_equal',
      'Input should be less than or equal to 730',
    ],
    [
      { trial_period_days: 1.5 },
      ['body', 'trial_period_days'],
      'int_from_float',
      'Input should be a valid integer, got a number with a fractional part',
    ],
    [{ trial_period_days: '14' }, ['body', 'trial_period_days'], 'int_type', 'Input should be a valid integer'],
    [{ trial_period_days: true }, ['body', 'trial_period_days'], 'int_type', 'Input should be a valid integer'],
  ])('refuses the body %j', async (body, loc, type, msg) => {
    const response = await asDeveloper().put(configPath(project), body).expect(422);
    expect(response.body).toEqual({ detail: [{ loc, msg, type }] });
  });

  it('rotates a key: the very next portal requests, even concurrent ones, use the new key', async () => {
    await asDeveloper().put(configPath(project), { test_secret_key: keys.test }).expect(200);
    await openPortal().expect(200);
    await asDeveloper().put(configPath(project), { test_secret_key: keys.testRotated }).expect(200);
    stripe.reset();

    const responses = await Promise.all(Array.from({ length: 8 }, () => openPortal()));
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    expect(new Set(stripe.requests.map((sent) => sent.apiKey))).toEqual(new Set([keys.testRotated]));
  });

  it('deactivates with DELETE (portal 404, keys and customers kept) and reactivates with PUT', async () => {
    await asDeveloper().put(configPath(project), { test_secret_key: keys.test }).expect(200);
    const deleted = await asDeveloper().delete(configPath(project)).expect(204);
    expect(deleted.text).toBe('');

    expect((await openPortal().expect(404)).body).toEqual({ detail: 'Project not found or Stripe not configured' });
    const inactive = (await asDeveloper().get(configPath(project)).expect(200)).body;
    expect(inactive).toMatchObject({
      is_active: false,
      has_test_credentials: true,
      test_secret_key_masked: 'sk_test_...aaaa',
    });

    const reactivated = (await asDeveloper().put(configPath(project), {}).expect(200)).body;
    expect(reactivated.is_active).toBe(true);
    await openPortal().expect(200);
    expect(stripe.requests.map((sent) => sent.form.customer)).toEqual(['cus_configUser']);
  });

  it('answers 404 to DELETE when there is no configuration', async () => {
    const response = await asDeveloper().delete(configPath(project)).expect(404);
    expect(response.body).toEqual({ detail: 'Stripe configuration not found' });
  });

  it('records who changed which fields (never values), newest first', async () => {
    await asDeveloper()
      .put(configPath(project), { test_secret_key: keys.test, test_publishable_key: keys.publishable })
      .expect(200);
    await asDeveloper()
      .put(configPath(project), { test_webhook_secret: keys.webhook, live_secret_key: null })
      .expect(200);
    await asDeveloper().delete(configPath(project)).expect(204);

    const response = await asDeveloper()
      .get(`${configPath(project)}/history`)
      .expect(200);
    expect(response.body).toEqual({
      total: 3,
      page: 1,
      page_size: 50,
      changes: [
        {
          id: expect.any(String),
          actor_type: 'developer',
          actor_id: developer,
          action: 'deactivate',
          fields: ['is_active'],
          created_at: expect.any(String),
        },
        {
          id: expect.any(String),
          actor_type: 'developer',
          actor_id: developer,
          action: 'update',
          fields: ['test_webhook_secret'],
          created_at: expect.any(String),
        },
        {
          id: expect.any(String),
          actor_type: 'developer',
          actor_id: developer,
          action: 'update',
          fields: ['test_secret_key', 'test_publishable_key'],
          created_at: expect.any(String),
        },
      ],
    });
    expectNoSecrets(response.text);
  });

  describe('allowed return URL origins', () => {
    beforeEach(async () => {
      await asDeveloper()
        .put(configPath(project), {
          test_secret_key: keys.test,
          allowed_return_url_origins: ['HTTPS://App.Example.com:443', 'http://localhost:5173'],
        })
        .expect(200);
    });

    it('stores origins as browsers compare them', async () => {
      const config = (await asDeveloper().get(configPath(project)).expect(200)).body;
      expect(config.allowed_return_url_origins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    });

    it.each(['https://app.example.com/account', 'http://localhost:5173/billing?x=1'])(
      'lets the portal return to %s',
      async (url) => {
        await openPortal(endUser, url).expect(200);
      },
    );

    it.each([
      'https://evil.example/account',
      'http://app.example.com/account',
      'https://app.example.com:8443/',
      'http://localhost:5174/',
    ])('refuses to return to %s, before looking up the customer', async (url) => {
      for (const user of [endUser, userWithoutCustomer]) {
        const response = await openPortal(user, url).expect(422);
        expect(response.body).toEqual({
          detail: [
            {
              loc: ['body', 'return_url'],
              msg: "Value error, return_url's origin is not among the project's allowed return URL origins",
              type: 'value_error',
            },
          ],
        });
      }
      expect(stripe.requests).toHaveLength(0);
    });

    it('allows any origin again once the list is cleared with []', async () => {
      await asDeveloper().put(configPath(project), { allowed_return_url_origins: [] }).expect(200);
      await openPortal(endUser, 'https://elsewhere.example/').expect(200);
    });
  });

  describe('checkout prices and trials', () => {
    const configOf = async () => (await asDeveloper().get(configPath(project)).expect(200)).body;
    const lastChange = async () =>
      (
        await asDeveloper()
          .get(`${configPath(project)}/history`)
          .expect(200)
      ).body.changes[0];

    it('stores allowed prices once each in the order given, and a trial; the history names the fields', async () => {
      const response = await asDeveloper()
        .put(configPath(project), {
          test_secret_key: keys.test,
          allowed_price_ids: ['price_1Yearly', 'price_1Monthly', 'price_1Yearly'],
          trial_period_days: 14,
        })
        .expect(200);
      expect(response.body).toMatchObject({
        allowed_price_ids: ['price_1Yearly', 'price_1Monthly'],
        trial_period_days: 14,
      });
      expect(await configOf()).toEqual(response.body);
      expect((await lastChange()).fields).toEqual(['test_secret_key', 'allowed_price_ids', 'trial_period_days']);
    });

    it('keeps both when absent, keeps the prices on null, clears the prices with [] and the trial with null', async () => {
      await asDeveloper()
        .put(configPath(project), { allowed_price_ids: ['price_1Monthly'], trial_period_days: 30 })
        .expect(200);

      const kept = await asDeveloper()
        .put(configPath(project), { test_secret_key: keys.test, allowed_price_ids: null })
        .expect(200);
      expect(kept.body).toMatchObject({ allowed_price_ids: ['price_1Monthly'], trial_period_days: 30 });
      expect((await lastChange()).fields).toEqual(['test_secret_key']);

      const cleared = await asDeveloper()
        .put(configPath(project), { allowed_price_ids: [], trial_period_days: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ allowed_price_ids: [], trial_period_days: null });
      expect((await lastChange()).fields).toEqual(['allowed_price_ids', 'trial_period_days']);

      // Clearing what is already clear changes nothing.
      await asDeveloper().put(configPath(project), { allowed_price_ids: [], trial_period_days: null }).expect(200);
      expect((await lastChange()).fields).toEqual(['allowed_price_ids', 'trial_period_days']);
    });

    it('stores 0 (no trial) apart from null, and the bounds 0 and 730', async () => {
      for (const days of [0, 730]) {
        const response = await asDeveloper().put(configPath(project), { trial_period_days: days }).expect(200);
        expect(response.body.trial_period_days).toBe(days);
      }
      expect((await configOf()).trial_period_days).toBe(730);
    });
  });

  describe('writes that change nothing', () => {
    const full = {
      test_secret_key: keys.test,
      test_publishable_key: keys.publishable,
      test_webhook_secret: keys.webhook,
      test_portal_configuration_id: 'bpc_1Portal',
      allowed_return_url_origins: ['https://app.example.com'],
    };
    const historyOf = async () =>
      (
        await asDeveloper()
          .get(`${configPath(project)}/history`)
          .expect(200)
      ).body as {
        total: number;
        changes: { action: string; fields: string[] }[];
      };
    const credentialsVersion = async () =>
      (await testApp.app.get(PrismaService).stripeConfig.findUniqueOrThrow({ where: { projectId: project } }))
        .credentialsVersion;

    beforeEach(async () => {
      await asDeveloper().put(configPath(project), full).expect(200);
    });

    it.each([
      ['{}', {}],
      ['all null', Object.fromEntries(Object.keys(full).map((field) => [field, null]))],
      ['the stored values again', full],
      ['one stored value', { test_secret_key: keys.test }],
      ['"" for fields that are already empty', { live_secret_key: '', live_webhook_secret: '' }],
      ['origins as stored after normalisation', { allowed_return_url_origins: ['HTTPS://APP.example.com:443'] }],
    ])('PUT with %s records nothing and moves no timestamp or credentials version', async (_name, body) => {
      const before = (await asDeveloper().get(configPath(project)).expect(200)).body;
      const version = await credentialsVersion();

      const response = await asDeveloper().put(configPath(project), body).expect(200);

      expect(response.body).toEqual(before);
      expect(await credentialsVersion()).toBe(version);
      expect(await historyOf()).toMatchObject({ total: 1, changes: [{ action: 'update', fields: Object.keys(full) }] });
    });

    it('records only the fields that differ, and moves only that mode and the version on a credential change', async () => {
      const before = (await asDeveloper().get(configPath(project)).expect(200)).body;
      const version = await credentialsVersion();

      const response = await asDeveloper()
        .put(configPath(project), { ...full, test_publishable_key: '', live_secret_key: keys.live })
        .expect(200);

      expect(response.body).toMatchObject({
        test_publishable_key_masked: null,
        live_secret_key_masked: 'sk_live_...cccc',
        test_secret_key_masked: 'sk_test_...aaaa',
        test_configured_at: expect.any(String),
        live_configured_at: expect.any(String),
      });
      expect(Date.parse(response.body.test_configured_at)).toBeGreaterThan(Date.parse(before.test_configured_at));
      expect(await credentialsVersion()).toBe(version + 1);
      expect((await historyOf()).changes[0]).toMatchObject({
        action: 'update',
        fields: ['test_publishable_key', 'live_secret_key'],
      });

      // A portal configuration id is not a credential: the cached Stripe clients stay.
      await asDeveloper().put(configPath(project), { test_portal_configuration_id: 'bpc_2Other' }).expect(200);
      expect(await credentialsVersion()).toBe(version + 1);
    });

    it('counts reordered origins as a change (the stored order is what GET shows)', async () => {
      await asDeveloper()
        .put(configPath(project), { allowed_return_url_origins: ['https://app.example.com', 'https://b.example'] })
        .expect(200);
      const response = await asDeveloper()
        .put(configPath(project), { allowed_return_url_origins: ['https://b.example', 'https://app.example.com'] })
        .expect(200);
      expect(response.body.allowed_return_url_origins).toEqual(['https://b.example', 'https://app.example.com']);
      expect((await historyOf()).total).toBe(3);
    });

    it('records a reactivation, and a second DELETE of an inactive configuration records nothing', async () => {
      await asDeveloper().delete(configPath(project)).expect(204);
      await asDeveloper().delete(configPath(project)).expect(204);
      const reactivated = await asDeveloper().put(configPath(project), {}).expect(200);
      expect(reactivated.body.is_active).toBe(true);
      await asDeveloper().put(configPath(project), {}).expect(200);

      expect((await historyOf()).changes.map((change) => [change.action, change.fields])).toEqual([
        ['update', ['is_active']],
        ['deactivate', ['is_active']],
        ['update', Object.keys(full)],
      ]);
    });

    it('takes concurrent identical writes in turn: one change is recorded', async () => {
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => asDeveloper().put(configPath(project), { live_secret_key: keys.live })),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(6).fill(200));
      expect(new Set(responses.map((response) => response.body.updated_at)).size).toBe(1);
      const history = await historyOf();
      expect(history.total).toBe(2);
      expect(history.changes[0].fields).toEqual(['live_secret_key']);
    });
  });

  describe('history pages', () => {
    const historyPage = (query: string) => asDeveloper().get(`${configPath(project)}/history${query}`);

    beforeEach(async () => {
      // Five entries, oldest first: each origin list differs from the one before.
      for (let entry = 1; entry <= 5; entry += 1) {
        await asDeveloper()
          .put(configPath(project), { allowed_return_url_origins: [`https://app${entry}.example`] })
          .expect(200);
      }
    });

    it('pages newest first with page and page_size; total counts every entry', async () => {
      const pages = [];
      for (const page of [1, 2, 3, 4]) {
        const response = await historyPage(`?page=${page}&page_size=2`).expect(200);
        expect(response.body).toMatchObject({ total: 5, page, page_size: 2 });
        pages.push(response.body.changes.map((change: { created_at: string }) => change.created_at));
      }
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1, 0]);
      const all = pages.flat();
      expect([...all].sort().reverse()).toEqual(all);
      const everything = await historyPage('?page_size=100').expect(200);
      expect(everything.body.changes.map((change: { created_at: string }) => change.created_at)).toEqual(all);
    });

    it('defaults to page 1 of 50', async () => {
      const response = await historyPage('').expect(200);
      expect(response.body).toMatchObject({ total: 5, page: 1, page_size: 50 });
      expect(response.body.changes).toHaveLength(5);
    });

    const intParsing = 'Input should be a valid integer, unable to parse string as an integer';
    it.each([
      ['?page=0', 'page', 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['?page=abc', 'page', 'int_parsing', intParsing],
      ['?page=1.5', 'page', 'int_parsing', intParsing],
      ['?page_size=0', 'page_size', 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['?page_size=101', 'page_size', 'less_than_equal', 'Input should be less than or equal to 100'],
      ['?page_size=ten', 'page_size', 'int_parsing', intParsing],
    ])('answers 422 to %s', async (query, name, type, msg) => {
      const response = await historyPage(query).expect(422);
      expect(response.body).toEqual({ detail: [{ loc: ['query', name], msg, type }] });
    });
  });

  describe('write rate limit (429)', () => {
    it('allows 30 writes (PUT and DELETE) a minute per developer across projects, then refuses without writing', async () => {
      const second = randomUUID();
      await fixtures(testApp.app).createProject({ id: second, name: 'second', ownerId: developer });
      const windowOpened = Date.now();
      for (let call = 1; call <= 30; call += 1) {
        const target = configPath(call % 2 === 0 ? second : project);
        const response =
          call % 3 === 0
            ? await asDeveloper().delete(target)
            : await asDeveloper().put(target, { test_portal_configuration_id: `bpc_${call}` });
        expect([
          response.status,
          response.headers['x-ratelimit-limit'],
          response.headers['x-ratelimit-remaining'],
        ]).toEqual([call % 3 === 0 ? 204 : 200, '30', String(30 - call)]);
      }

      const answer = await timed(asDeveloper().put(configPath(project), { test_secret_key: keys.test }).expect(429));
      const limited = answer.response;
      const retryAfter = limited.body.retry_after;
      expect(limited.body).toEqual({
        detail: `Too many Stripe configuration changes; try again in ${retryAfter} seconds`,
        retry_after: retryAfter,
      });
      // The window opened with the first counted request: at most 60 s, at least what is left of them.
      expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((windowOpened + 60_000 - answer.answeredAt) / 1000));
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers['retry-after']).toBe(String(retryAfter));
      expect(limited.headers['x-ratelimit-limit']).toBe('30');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expectResetWithin(answer, retryAfter - 1, retryAfter);
      expectNoSecrets(limited.text);

      // Refused before the ownership check and validation; nothing was written.
      await asDeveloper().delete(configPath(project)).expect(429);
      await asDeveloper().put(configPath(randomUUID()), { test_secret_key: 42 }).expect(429);
      const config = await asDeveloper().get(configPath(project)).expect(200);
      expect(config.body.test_secret_key_masked).toBeNull();
      expect(config.headers['x-ratelimit-limit']).toBeUndefined();
      await asDeveloper()
        .get(`${configPath(project)}/history`)
        .expect(200);

      // Another developer has a budget of their own.
      const other = asDeveloper(accessToken({ sub: otherDeveloper }));
      const theirs = await other.put(configPath(randomUUID()), {}).expect(404);
      expect(theirs.headers['x-ratelimit-remaining']).toBe('29');
    });

    it('authenticates before counting: refused tokens do not use the budget', async () => {
      for (let call = 0; call < 31; call += 1) {
        await request(server()).put(configPath(project)).send({}).expect(401);
      }
      const response = await asDeveloper().put(configPath(project), {}).expect(200);
      expect(response.headers['x-ratelimit-remaining']).toBe('29');
    });
  });

  describe('access', () => {
    it.each(['get', 'put', 'delete', 'history'] as const)(
      "hides another developer's project (%s -> 404)",
      async (action) => {
        await asDeveloper().put(configPath(project), { test_secret_key: keys.test }).expect(200);
        const other = asDeveloper(accessToken({ sub: otherDeveloper }));
        const call =
          action === 'get'
            ? other.get(configPath(project))
            : action === 'put'
              ? other.put(configPath(project), { test_secret_key: keys.testRotated })
              : action === 'delete'
                ? other.delete(configPath(project))
                : other.get(`${configPath(project)}/history`);
        expect((await call.expect(404)).body).toEqual({ detail: 'Project not found' });
        expect((await asDeveloper().get(configPath(project)).expect(200)).body).toMatchObject({
          is_active: true,
          test_secret_key_masked: 'sk_test_...aaaa',
        });
      },
    );

    it("validates the body before ownership: another developer's project with a bad key is a 422, a good one a 404", async () => {
      const other = asDeveloper(accessToken({ sub: otherDeveloper }));
      const invalid = await other.put(configPath(project), { test_secret_key: keys.live }).expect(422);
      expect(invalid.body).toEqual({
        detail: [
          {
            loc: ['body', 'test_secret_key'],
            msg: 'Value error, test_secret_key must start with sk_test_ or rk_test_ for test mode',
            type: 'value_error',
          },
        ],
      });
      const valid = await other.put(configPath(project), { test_secret_key: keys.test }).expect(404);
      expect(valid.body).toEqual({ detail: 'Project not found' });
      expect((await asDeveloper().get(configPath(project)).expect(200)).text).toBe('null');
    });

    it('answers 404 for a project that does not exist', async () => {
      expect((await asDeveloper().get(configPath(randomUUID())).expect(404)).body).toEqual({
        detail: 'Project not found',
      });
    });

    it('refuses end-user tokens with 403', async () => {
      const response = await asDeveloper(endUserToken(endUser, project))
        .put(configPath(project), { test_secret_key: keys.test })
        .expect(403);
      expect(response.body).toEqual({
        detail: 'This endpoint requires a developer access token (a token without project_id)',
      });
    });

    it('refuses a missing token with 401', async () => {
      const response = await request(server()).get(configPath(project)).expect(401);
      expect(response.body).toEqual({ detail: 'Could not validate credentials' });
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it.each(['not-a-uuid', '1234', `${randomUUID()}x`])(
      'answers 422 uuid_parsing for the project id %j',
      async (id) => {
        const response = await asDeveloper().get(configPath(id)).expect(422);
        expect(response.body).toEqual({
          detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
        });
      },
    );
  });

  describe('operator changes (the CLI)', () => {
    const stripeSet = (...options: string[]) =>
      runCommand(testApp.app, parseCommand(['stripe', 'set', '--project', project, ...options]) as RunnableCommand);

    it('goes through the same write path: kept when left out, "" clears, recorded as an operator change', async () => {
      await asDeveloper()
        .put(configPath(project), { test_secret_key: keys.test, test_publishable_key: keys.publishable })
        .expect(200);
      const set = await stripeSet('--mode', 'test', '--webhook-secret', keys.webhook, '--publishable-key', '');
      expect(set.json).toEqual({
        project_id: project,
        mode: 'test',
        fields: ['test_publishable_key', 'test_webhook_secret'],
        secret_key: 'sk_test_...aaaa',
      });
      expect(set.text).toBe(
        `Set test_publishable_key, test_webhook_secret of project ${project}; its test secret key is sk_test_...aaaa`,
      );

      const config = await asDeveloper().get(configPath(project)).expect(200);
      expect(config.body).toMatchObject({
        test_secret_key_masked: 'sk_test_...aaaa',
        test_publishable_key_masked: null,
        test_webhook_secret_masked: 'whsec_...eeee',
        is_active: true,
      });
      const history = await asDeveloper()
        .get(`${configPath(project)}/history`)
        .expect(200);
      expect(history.body).toEqual({
        total: 2,
        page: 1,
        page_size: 50,
        changes: [
          {
            id: expect.any(String),
            actor_type: 'operator',
            actor_id: null,
            action: 'update',
            fields: ['test_publishable_key', 'test_webhook_secret'],
            created_at: expect.any(String),
          },
          {
            id: expect.any(String),
            actor_type: 'developer',
            actor_id: developer,
            action: 'update',
            fields: ['test_secret_key', 'test_publishable_key'],
            created_at: expect.any(String),
          },
        ],
      });
      expectNoSecrets(history.text + JSON.stringify(set));
    });

    it('reactivates a deactivated configuration and rotates the key the portal uses, as PUT does', async () => {
      await asDeveloper().put(configPath(project), { test_secret_key: keys.test }).expect(200);
      await asDeveloper().delete(configPath(project)).expect(204);
      await openPortal().expect(404);

      await stripeSet('--mode', 'test', '--secret-key', keys.testRotated);
      await openPortal().expect(200);
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.testRotated]);
    });

    it('names a project that does not exist, and changes nothing for a refused one', async () => {
      const missing = randomUUID();
      await expect(
        runCommand(
          testApp.app,
          parseCommand([
            'stripe',
            'set',
            '--project',
            missing,
            '--mode',
            'live',
            '--secret-key',
            keys.live,
          ]) as RunnableCommand,
        ),
      ).rejects.toThrow(new ProjectNotFound(missing));
      expect((await asDeveloper().get(configPath(project)).expect(200)).text).toBe('null');
    });

    it.each([
      [
        ['--mode', 'test'],
        'Nothing to set: give --secret-key, --publishable-key, --webhook-secret, --portal-configuration, ' +
          '--allowed-return-url-origins, --allowed-price-ids, --trial-period-days or --past-due-grace-days',
      ],
      [
        ['--mode', 'test', '--secret-key', keys.live],
        '--secret-key must start with sk_test_ or rk_test_ for test mode',
      ],
      [['--mode', 'test', '--secret-key', '  '], '--secret-key must not be blank'],
    ])('refuses %j as a usage error: %s', (options, message) => {
      expect(() => parseCommand(['stripe', 'set', '--project', project, ...options])).toThrow(new UsageError(message));
    });
  });
});
