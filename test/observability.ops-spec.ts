import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';
import { fixtures } from './support/fixtures.js';

const PORTAL = '/api/v1/payments/stripe/customer-portal';
const BASE = '/api/v1/payments/stripe/projects';
const RETURN_URL = 'https://app.example.com/billing';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const secrets = {
  test: 'sk_test_51LogsTestKey00000000qqqq',
  live: 'sk_live_51LogsLiveKey00000000rrrr',
  webhook: 'whsec_LogsWebhookSecret000000ssss',
  checked: 'rk_test_51LogsValidated000000tttt',
};

/** Everything the service logged, one parsed JSON object per line. */
class CapturedLogs {
  private text = '';
  readonly destination = { write: (line: string) => void (this.text += line) };

  get raw(): string {
    return this.text;
  }

  get lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  requestLine(requestId: string): Record<string, unknown> | undefined {
    return this.lines.find((line) => line.msg === 'request completed' && line.request_id === requestId);
  }
}

describe('structured logs, request ids and HTTP hardening', () => {
  const stripe = new StripeStub();
  const logs = new CapturedLogs();
  let testApp: TestApp;
  const developer = randomUUID();
  const endUser = randomUUID();
  let project: string;
  const server = () => testApp.app.getHttpServer();

  beforeAll(async () => {
    testApp = await startTestApp(
      { STRIPE_API_BASE_URL: await stripe.start(), LOG_LEVEL: 'log', CORS_ORIGINS: 'https://app.example.com' },
      { logDestination: logs.destination },
    );
    stripe.addAccount(secrets.test, ['cus_logsUser']);
    stripe.addAccount(secrets.checked, []);
    const projects = fixtures(testApp.app);
    project = randomUUID();
    await projects.createProject({ id: project, name: 'Logs', ownerId: developer });
    await projects.setModeCredentials(project, 'test', { secretKey: secrets.test });
    await projects.linkCustomer(project, endUser, 'test', 'cus_logsUser');
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  it('writes one JSON line per request with its id, route template, status, duration, project and user', async () => {
    const response = await request(server())
      .post(`${PORTAL}?test_mode=true`)
      .set('Authorization', `Bearer ${endUserToken(endUser, project)}`)
      .set('X-Request-Id', 'portal-call.42')
      .send({ return_url: RETURN_URL })
      .expect(200);

    expect(response.headers['x-request-id']).toBe('portal-call.42');
    expect(logs.requestLine('portal-call.42')).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      service: 'stripe-subscriptions-api',
      request_id: 'portal-call.42',
      method: 'POST',
      route: PORTAL,
      status: 200,
      duration_ms: expect.any(Number),
      project_id: project,
      user_id: endUser,
      msg: 'request completed',
    });
  });

  it('logs the route template, not the ids in the path, and no caller before authentication', async () => {
    const response = await request(server()).get(`${BASE}/${project}/config`).expect(401);
    const line = logs.requestLine(response.headers['x-request-id']);
    expect(line).toMatchObject({ route: `${BASE}/:project_id/config`, status: 401, project_id: null, user_id: null });
    expect(JSON.stringify(line)).not.toContain(project);
  });

  it('logs unknown routes with a null route', async () => {
    const response = await request(server()).get(`/api/v1/nowhere/${randomUUID()}`).expect(404);
    expect(logs.requestLine(response.headers['x-request-id'])).toMatchObject({ route: null, status: 404 });
  });

  it.each([
    ['absent', undefined],
    ['too long', 'a'.repeat(129)],
    ['carrying spaces and quotes (log injection)', 'abc" injected="1'],
    ['carrying a newline-like escape', 'abc\\nINFO fake'],
  ])('replaces an X-Request-Id that is %s with a fresh UUID', async (_case, given) => {
    let call = request(server()).get('/api/v1/health');
    if (given !== undefined) call = call.set('X-Request-Id', given);
    const response = await call.expect(200);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(logs.requestLine(response.headers['x-request-id'])).toMatchObject({ route: '/api/v1/health' });
  });

  it('never writes tokens, Stripe keys, webhook secrets or portal URLs, whatever the request carried', async () => {
    const developerToken = accessToken({ sub: developer });
    const endUserJwt = endUserToken(endUser, project);
    const portal = await request(server())
      .post(PORTAL)
      .set('Authorization', `Bearer ${endUserJwt}`)
      .send({ return_url: RETURN_URL })
      .expect(200);
    await request(server())
      .put(`${BASE}/${project}/config`)
      .set('Authorization', `Bearer ${developerToken}`)
      .send({ test_secret_key: secrets.test, live_secret_key: secrets.live, test_webhook_secret: secrets.webhook })
      .expect(200);
    await request(server())
      .put(`${BASE}/${project}/config`)
      .set('Authorization', `Bearer ${developerToken}`)
      .send({ test_secret_key: `${secrets.test}"`, test_webhook_secret: 42 })
      .expect(422);
    await request(server())
      .post(`${BASE}/${project}/validate-credentials`)
      .set('Authorization', `Bearer ${developerToken}`)
      .send({ secret_key: secrets.checked, is_test_mode: true })
      .expect(200);
    await request(server()).post(PORTAL).set('Authorization', `Bearer ${endUserJwt}x`).send({}).expect(401);

    const written = logs.raw;
    expect(written).toContain('"msg":"request completed"');
    for (const secret of [developerToken, endUserJwt, ...Object.values(secrets), portal.body.portal_url]) {
      expect(written).not.toContain(secret);
    }
    expect(written).not.toMatch(/Bearer|sk_(test|live)_|rk_test_|whsec_|billing\.stripe\.com/);
  });

  it('sends security headers on every response and never X-Powered-By', async () => {
    for (const response of [
      await request(server()).get('/health').expect(200),
      await request(server()).post(PORTAL).send({}).expect(401),
      await request(server()).get('/no-such-route').expect(404),
    ]) {
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'referrer-policy': 'no-referrer',
        'content-security-policy': expect.stringContaining("default-src 'self'"),
      });
      // Over plain http it would send browsers to https for Swagger UI's scripts (PUBLIC_BASE_URL is not https here).
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const allowed = await request(server())
      .options(PORTAL)
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key')
      .expect(204);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key, X-Request-Id',
      'access-control-max-age': '600',
    });

    const actual = await request(server()).post(PORTAL).set('Origin', 'https://app.example.com').send({}).expect(401);
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(actual.headers['access-control-expose-headers']).toContain('X-Request-Id');

    const foreign = await request(server())
      .options(PORTAL)
      .set('Origin', 'https://evil.example.net')
      .set('Access-Control-Request-Method', 'POST');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});
