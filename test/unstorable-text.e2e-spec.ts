import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * Text PostgreSQL cannot store (a NUL character, an unpaired UTF-16 surrogate) is refused at validation, at the
 * field, on every text field of every request body: never a 503 from the failed statement, never stored as U+FFFD.
 * On embedded PGlite by default, on PostgreSQL when DATABASE_URL is set.
 */
const engine = process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite';
const UNSTORABLE = {
  msg: 'Value error, text must not contain NUL characters or unpaired surrogates',
  type: 'value_error',
};
// A marker in every refused value: the answer must not echo it.
const MARKER = 'markerQ7';
const unstorable = [
  ['a NUL character', `${MARKER}\u0000x`],
  ['an unpaired high surrogate', `${MARKER}\ud800x`],
  ['an unpaired low surrogate', `${MARKER}\udc00`],
] as const;
const KEY = 'sk_test_51UnstorableKey00000aaaa';

describe(`text PostgreSQL cannot store, on ${engine}`, () => {
  const stripe = new StripeStub();
  const developer = randomUUID();
  const endUser = randomUUID();
  let testApp: TestApp;
  let project: string;

  const server = () => testApp.app.getHttpServer();
  const asDeveloper = (method: 'post' | 'put', path: string, body: object) => {
    const agent = request(server());
    return (method === 'post' ? agent.post(path) : agent.put(path))
      .set('Authorization', `Bearer ${accessToken({ sub: developer })}`)
      .send(body);
  };
  const get = (path: string) =>
    request(server())
      .get(path)
      .set('Authorization', `Bearer ${accessToken({ sub: developer })}`);
  const configPath = () => `/api/v1/payments/stripe/projects/${project}/config`;
  const portal = (body: object) =>
    request(server())
      .post('/api/v1/payments/stripe/customer-portal')
      .set('Authorization', `Bearer ${endUserToken(endUser, project)}`)
      .send(body);
  const expectRefused = async (call: request.Test, loc: (string | number)[]) => {
    const response = await call;
    expect({ status: response.status, body: response.body as unknown }).toEqual({
      status: 422,
      body: { detail: [{ loc, ...UNSTORABLE }] },
    });
    expect(response.text).not.toContain(MARKER);
  };

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: await stripe.start() });
    stripe.addAccount(KEY, ['cus_unstorable']);
    project = ((await asDeveloper('post', '/api/v1/projects/', { name: 'Text' }).expect(201)).body as { id: string })
      .id;
    await asDeveloper('put', configPath(), { test_secret_key: KEY }).expect(200);
    await asDeveloper('put', `/api/v1/payments/stripe/projects/${project}/customers/${endUser}?test_mode=true`, {
      stripe_customer_id: 'cus_unstorable',
    }).expect(200);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  describe('project name and description', () => {
    it.each(unstorable)('refuses a new project whose name has %s, and stores nothing', async (_name, text) => {
      const before = (await get('/api/v1/projects/').expect(200)).body as { total: number };
      await expectRefused(asDeveloper('post', '/api/v1/projects/', { name: text }), ['body', 'name']);
      expect(((await get('/api/v1/projects/').expect(200)).body as { total: number }).total).toBe(before.total);
    });

    it.each(unstorable)('refuses a description with %s', async (_name, text) => {
      await expectRefused(asDeveloper('post', '/api/v1/projects/', { name: 'ok', description: text }), [
        'body',
        'description',
      ]);
    });

    it.each(unstorable)('refuses a replacement name with %s, and keeps the project as it was', async (_name, text) => {
      await expectRefused(asDeveloper('put', `/api/v1/projects/${project}`, { name: text }), ['body', 'name']);
      expect(((await get(`/api/v1/projects/${project}`).expect(200)).body as { name: string }).name).toBe('Text');
    });

    it('stores every other text exactly: astral characters, combining marks, tabs and other controls', async () => {
      const name = 'Café 😀 e\u0301\ttab\u0001\u007f\uFFFD';
      const created = (await asDeveloper('post', '/api/v1/projects/', { name, description: name }).expect(201))
        .body as { id: string };
      const stored = (await get(`/api/v1/projects/${created.id}`).expect(200)).body as object;
      expect(stored).toMatchObject({ name, description: name });
    });
  });

  describe('Stripe configuration', () => {
    it.each([
      ['test_secret_key', 'sk_test_'],
      ['test_publishable_key', 'pk_test_'],
      ['live_webhook_secret', 'whsec_'],
      ['live_portal_configuration_id', 'bpc_'],
    ])('refuses %s with a NUL character or an unpaired surrogate', async (field, prefix) => {
      for (const [, text] of unstorable) {
        await expectRefused(asDeveloper('put', configPath(), { [field]: `${prefix}${text}` }), ['body', field]);
      }
    });

    it.each(unstorable)('refuses an allowed return_url origin with %s, and changes nothing', async (_name, text) => {
      const history = (await get(`${configPath()}/history`).expect(200)).body as { total: number };
      await expectRefused(
        asDeveloper('put', configPath(), { allowed_return_url_origins: ['https://ok.example', `https://${text}`] }),
        ['body', 'allowed_return_url_origins'],
      );
      expect(((await get(`${configPath()}/history`).expect(200)).body as { total: number }).total).toBe(history.total);
    });
  });

  describe('Stripe tools', () => {
    it.each(unstorable)('refuses a customer id to link with %s, before asking Stripe', async (_name, text) => {
      await expectRefused(
        asDeveloper('put', `/api/v1/payments/stripe/projects/${project}/customers/${randomUUID()}?test_mode=true`, {
          stripe_customer_id: `cus_${text}`,
        }),
        ['body', 'stripe_customer_id'],
      );
      expect(stripe.requestCount).toBe(0);
    });

    it('refuses a secret key to check with a NUL character or an unpaired surrogate, before asking Stripe', async () => {
      for (const [, text] of unstorable) {
        await expectRefused(
          asDeveloper('post', `/api/v1/payments/stripe/projects/${project}/validate-credentials`, {
            secret_key: `sk_test_${text}`,
          }),
          ['body', 'secret_key'],
        );
      }
      expect(stripe.requestCount).toBe(0);
    });
  });

  describe('customer portal', () => {
    it.each(unstorable)('refuses a return_url with %s', async (_name, text) => {
      await expectRefused(portal({ return_url: `https://example.com/${text}` }), ['body', 'return_url']);
      expect(stripe.requestCount).toBe(0);
    });

    it.each(unstorable)('refuses a flow subscription with %s', async (_name, text) => {
      await expectRefused(
        portal({
          return_url: 'https://example.com/',
          flow: { type: 'subscription_cancel', subscription: `sub_${text}` },
        }),
        ['body', 'flow', 'subscription'],
      );
    });

    it('refuses a locale with a NUL character as any locale it does not know', async () => {
      const response = await portal({ return_url: 'https://example.com/', locale: 'en\u0000' }).expect(422);
      expect(response.body).toMatchObject({ detail: [{ loc: ['body', 'locale'], type: 'literal_error' }] });
    });

    it('still opens the portal for a return_url with astral characters', async () => {
      await portal({ return_url: 'https://example.com/😀' }).expect(200);
    });
  });

  it('refuses a NUL character in a path id before any query', async () => {
    const response = await get('/api/v1/projects/%00').expect(422);
    expect(response.body).toEqual({
      detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
    });
  });
});
