import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { StripeClientFactory } from '#libs/stripe';
import { parseExposition, sampleValue, type Sample } from './support/prometheus.js';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';
import { fixtures } from './support/fixtures.js';

const PORTAL = '/api/v1/payments/stripe/customer-portal';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const STRIPE_BUDGET_MS = 1000;
const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

const keys = {
  aTest: 'sk_test_MMMMMMMMMMMMMMMMMMMMaaaa',
  aLive: 'sk_live_MMMMMMMMMMMMMMMMMMMMllll',
  bTest: 'sk_test_NNNNNNNNNNNNNNNNNNNNbbbb',
};

/** Counter and histogram increments between two scrapes, for one series. */
function delta(before: Sample[], after: Sample[], name: string, labels: Record<string, string>): number {
  return sampleValue(after, name, labels) - sampleValue(before, name, labels);
}

describe('GET /metrics', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;

  const projectA = randomUUID();
  const projectB = randomUUID();
  const projectUnconfigured = randomUUID();
  const owner = randomUUID();
  const alice = randomUUID();
  const bob = randomUUID();

  const server = () => testApp.app.getHttpServer();
  const scrape = async (): Promise<Sample[]> => {
    const response = await request(server()).get('/metrics').expect(200);
    return parseExposition(response.text);
  };
  const portal = (token: string | undefined, query = '') => {
    const call = request(server()).post(`${PORTAL}${query}`);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const http = (method: string, route: string, status: number) => ({ method, route, status: String(status) });

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stripe.start(),
      STRIPE_TIMEOUT_MS: String(STRIPE_BUDGET_MS),
    });
    const projects = fixtures(testApp.app);
    for (const id of [projectA, projectB, projectUnconfigured]) {
      await projects.createProject({ id, name: 'metrics', ownerId: owner });
    }
    await projects.setModeCredentials(projectA, 'test', { secretKey: keys.aTest });
    await projects.setModeCredentials(projectA, 'live', { secretKey: keys.aLive });
    await projects.setModeCredentials(projectB, 'test', { secretKey: keys.bTest });
    await projects.linkCustomer(projectA, alice, 'test', 'cus_aliceTest');
    await projects.linkCustomer(projectA, alice, 'live', 'cus_aliceLive');
    await projects.linkCustomer(projectB, bob, 'test', 'cus_bobTest');
    stripe.addAccount(keys.aTest, ['cus_aliceTest', 'cus_linkable']);
    stripe.addAccount(keys.aLive, ['cus_aliceLive']);
    stripe.addAccount(keys.bTest, ['cus_bobTest']);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  it('answers in the Prometheus text format, not cached, with the default process metrics', async () => {
    const response = await request(server()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe(PROMETHEUS_TEXT);
    expect(response.headers['cache-control']).toBe('no-store');
    const samples = parseExposition(response.text);
    const names = new Set(samples.map((sample) => sample.name));
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(names).toContain(name);
    }
    expect(response.text).toContain('# TYPE http_requests_total counter');
    expect(response.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(response.text).toContain('# TYPE stripe_requests_total counter');
    expect(response.text).toContain('# TYPE stripe_request_duration_seconds histogram');
    expect(response.text).toContain('# TYPE stripe_client_cache_size gauge');
  });

  it('starts with an empty Stripe client cache, then counts one client per project and mode', async () => {
    const factory = testApp.app.get(StripeClientFactory);
    expect(sampleValue(await scrape(), 'stripe_client_cache_size')).toBe(0);

    await portal(endUserToken(alice, projectA)).send({ return_url: RETURN_URL }).expect(200);
    await portal(endUserToken(alice, projectA)).send({ return_url: RETURN_URL }).expect(200);
    expect(sampleValue(await scrape(), 'stripe_client_cache_size')).toBe(1);

    await portal(endUserToken(alice, projectA), '?test_mode=false').send({ return_url: RETURN_URL }).expect(200);
    await portal(endUserToken(bob, projectB)).send({ return_url: RETURN_URL }).expect(200);
    expect(sampleValue(await scrape(), 'stripe_client_cache_size')).toBe(3);
    expect(factory.cachedClients).toBe(3);
  });

  it('counts a successful portal request and its Stripe call, with their durations', async () => {
    const before = await scrape();
    await portal(endUserToken(alice, projectA)).send({ return_url: RETURN_URL }).expect(200);
    const after = await scrape();

    const ok = http('POST', PORTAL, 200);
    expect(delta(before, after, 'http_requests_total', ok)).toBe(1);
    expect(delta(before, after, 'http_request_duration_seconds_count', ok)).toBe(1);
    expect(delta(before, after, 'http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(1);
    expect(delta(before, after, 'http_request_duration_seconds_sum', ok)).toBeGreaterThan(0);

    const success = { operation: 'billing_portal.sessions.create', outcome: 'success' };
    expect(delta(before, after, 'stripe_requests_total', success)).toBe(1);
    expect(delta(before, after, 'stripe_request_duration_seconds_count', success)).toBe(1);
    expect(delta(before, after, 'stripe_request_duration_seconds_bucket', { ...success, le: '+Inf' })).toBe(1);
    expect(stripe.requests).toHaveLength(1);
  });

  it('counts responses refused by the guards (401, 403) under the route template', async () => {
    const before = await scrape();
    await portal(undefined).send({ return_url: RETURN_URL }).expect(401);
    await portal('not-a-jwt').send({ return_url: RETURN_URL }).expect(401);
    await portal(accessToken({ sub: owner }))
      .send({ return_url: RETURN_URL })
      .expect(403);
    const after = await scrape();

    expect(delta(before, after, 'http_requests_total', http('POST', PORTAL, 401))).toBe(2);
    expect(delta(before, after, 'http_requests_total', http('POST', PORTAL, 403))).toBe(1);
    expect(delta(before, after, 'http_request_duration_seconds_count', http('POST', PORTAL, 401))).toBe(2);
    expect(delta(before, after, 'http_requests_total', http('POST', 'unmatched', 401))).toBe(0);
  });

  it('counts validation (422) and body-parser rejections (422, 413) under the route template', async () => {
    const before = await scrape();
    await portal(endUserToken(alice, projectA)).send({}).expect(422);
    await portal(endUserToken(alice, projectA), '?test_mode=maybe').send({ return_url: RETURN_URL }).expect(422);
    await portal(endUserToken(alice, projectA))
      .set('Content-Type', 'application/json')
      .send('{"return_url":')
      .expect(422);
    await portal(endUserToken(alice, projectA))
      .send({ return_url: `${RETURN_URL}?${'x'.repeat(200_000)}` })
      .expect(413);
    const after = await scrape();

    expect(delta(before, after, 'http_requests_total', http('POST', PORTAL, 422))).toBe(3);
    expect(delta(before, after, 'http_requests_total', http('POST', PORTAL, 413))).toBe(1);
    expect(delta(before, after, 'http_request_duration_seconds_count', http('POST', PORTAL, 413))).toBe(1);
    expect(stripe.requests).toHaveLength(0);
  });

  it('labels unknown routes "unmatched", never with the requested path', async () => {
    const before = await scrape();
    await request(server()).get('/api/v1/no-such-route/4f9c2a').expect(404);
    await request(server()).post('/definitely-not-here').send({}).expect(404);
    await request(server()).get(`/api/v1/payments/stripe/customer-portal/${projectA}`).expect(404);
    const afterResponse = await request(server()).get('/metrics').expect(200);
    const after = parseExposition(afterResponse.text);

    expect(delta(before, after, 'http_requests_total', http('GET', 'unmatched', 404))).toBe(2);
    expect(delta(before, after, 'http_requests_total', http('POST', 'unmatched', 404))).toBe(1);
    expect(afterResponse.text).not.toContain('no-such-route');
    expect(afterResponse.text).not.toContain('definitely-not-here');
  });

  it('labels a matched route that answers 404 with its template, and never a path parameter value', async () => {
    const developer = accessToken({ sub: owner });
    const before = await scrape();
    await portal(endUserToken(alice, projectUnconfigured)).send({ return_url: RETURN_URL }).expect(404);
    const missingProject = randomUUID();
    await request(server())
      .get(`/api/v1/projects/${missingProject}`)
      .set('Authorization', `Bearer ${developer}`)
      .expect(404);
    await request(server()).get(`/api/v1/projects/${projectA}`).set('Authorization', `Bearer ${developer}`).expect(200);
    await request(server())
      .get(`/api/v1/payments/stripe/projects/${projectA}/config`)
      .set('Authorization', `Bearer ${developer}`)
      .expect(200);
    const afterResponse = await request(server()).get('/metrics').expect(200);
    const after = parseExposition(afterResponse.text);

    expect(delta(before, after, 'http_requests_total', http('POST', PORTAL, 404))).toBe(1);
    expect(delta(before, after, 'http_requests_total', http('GET', '/api/v1/projects/{project_id}', 404))).toBe(1);
    expect(delta(before, after, 'http_requests_total', http('GET', '/api/v1/projects/{project_id}', 200))).toBe(1);
    const config = '/api/v1/payments/stripe/projects/{project_id}/config';
    expect(delta(before, after, 'http_requests_total', http('GET', config, 200))).toBe(1);
    expect(delta(before, after, 'http_requests_total', http('GET', 'unmatched', 404))).toBe(0);
    for (const id of [projectA, projectB, projectUnconfigured, missingProject, owner, alice, bob]) {
      expect(afterResponse.text).not.toContain(id);
    }
  });

  it('labels the health, documentation and metrics routes by their paths', async () => {
    const before = await scrape();
    await request(server()).get('/health').expect(200);
    await request(server()).get('/api/v1/health').expect(200);
    await request(server()).get('/api/v1/health/database').expect(200);
    await request(server()).get('/openapi.json').expect(200);
    await request(server()).get('/openapi.yaml').expect(200);
    await request(server()).get('/docs').expect(200);
    await request(server()).get('/docs/swagger-ui.css').expect(200);
    await request(server()).get('/docs/swagger-ui-init.js').expect(200);
    const after = await scrape();

    for (const route of ['/health', '/api/v1/health', '/api/v1/health/database', '/openapi.json', '/openapi.yaml']) {
      expect(delta(before, after, 'http_requests_total', http('GET', route, 200))).toBe(1);
    }
    // Swagger UI's files share the static route's template: a label never grows with the URLs requested.
    for (const route of ['/docs', '/docs/*', '/docs/swagger-ui-init.js']) {
      expect(delta(before, after, 'http_requests_total', http('GET', route, 200))).toBe(1);
    }
    // The scrape that produced `before` is counted in `after`.
    expect(delta(before, after, 'http_requests_total', http('GET', '/metrics', 200))).toBe(1);
  });

  it.each([
    [{ kind: 'rate-limit' } as const, 503, 'rate_limited'],
    [{ kind: 'server-error' } as const, 503, 'server_error'],
    [{ kind: 'authentication' } as const, 502, 'authentication_error'],
    [{ kind: 'permission' } as const, 502, 'permission_error'],
    [{ kind: 'resource-missing', param: 'customer' } as const, 404, 'invalid_request'],
    [{ kind: 'slow', delayMs: STRIPE_BUDGET_MS + 500 } as const, 503, 'timeout'],
  ])('counts a Stripe failure (%j) by its outcome', async (failure, status, outcome) => {
    const before = await scrape();
    stripe.failNext(failure);
    await portal(endUserToken(alice, projectA)).send({ return_url: RETURN_URL }).expect(status);
    const after = await scrape();

    const labels = { operation: 'billing_portal.sessions.create', outcome };
    expect(delta(before, after, 'stripe_requests_total', labels)).toBe(1);
    expect(delta(before, after, 'stripe_request_duration_seconds_count', labels)).toBe(1);
    const success = { operation: 'billing_portal.sessions.create', outcome: 'success' };
    expect(delta(before, after, 'stripe_requests_total', success)).toBe(0);
    expect(delta(before, after, 'http_requests_total', http('POST', PORTAL, status))).toBe(1);
    if (outcome === 'timeout') {
      // The budget's timer runs on the event loop's millisecond clock: it can fire up to 1 ms before a
      // high-resolution clock started with it reads the full budget (seen: 0.99975 s for a 1 s budget).
      expect(delta(before, after, 'stripe_request_duration_seconds_sum', labels)).toBeGreaterThanOrEqual(
        (STRIPE_BUDGET_MS - 1) / 1000,
      );
      expect(delta(before, after, 'stripe_request_duration_seconds_bucket', { ...labels, le: '0.5' })).toBe(0);
    }
  });

  it('counts the developer tools’ Stripe calls under their own operations', async () => {
    const developer = accessToken({ sub: owner });
    const before = await scrape();
    await request(server())
      .post(`/api/v1/payments/stripe/projects/${projectA}/validate-credentials`)
      .set('Authorization', `Bearer ${developer}`)
      .send({ secret_key: keys.aTest, is_test_mode: true })
      .expect(200);
    await request(server())
      .put(`/api/v1/payments/stripe/projects/${projectA}/customers/${randomUUID()}?test_mode=true`)
      .set('Authorization', `Bearer ${developer}`)
      .send({ stripe_customer_id: 'cus_linkable' })
      .expect(200);
    await request(server())
      .put(`/api/v1/payments/stripe/projects/${projectA}/customers/${randomUUID()}?test_mode=true`)
      .set('Authorization', `Bearer ${developer}`)
      .send({ stripe_customer_id: 'cus_unknown' })
      .expect(422);
    const after = await scrape();

    expect(delta(before, after, 'stripe_requests_total', { operation: 'balance.retrieve', outcome: 'success' })).toBe(
      1,
    );
    expect(delta(before, after, 'stripe_requests_total', { operation: 'customers.retrieve', outcome: 'success' })).toBe(
      1,
    );
    expect(
      delta(before, after, 'stripe_requests_total', { operation: 'customers.retrieve', outcome: 'invalid_request' }),
    ).toBe(1);
    expect(stripe.requests).toHaveLength(3);
  });

  it('is left out of the OpenAPI document and served only outside the api prefix', async () => {
    const { body } = await request(server()).get('/openapi.json').expect(200);
    expect(Object.keys(body.paths).filter((path) => path.includes('metrics'))).toEqual([]);
    await request(server()).get('/api/metrics').expect(404);
    await request(server()).get('/api/v1/metrics').expect(404);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ METRICS_TOKEN });
  });

  afterAll(() => testApp?.close());

  const scrape = (authorization?: string) => {
    const call = request(testApp.app.getHttpServer()).get('/metrics');
    return authorization === undefined ? call : call.set('Authorization', authorization);
  };

  it.each([undefined, 'Bearer wrong-token-0123456789abcdef', `Basic ${METRICS_TOKEN}`, `Bearer ${METRICS_TOKEN}x`])(
    'refuses %p with 401',
    async (authorization) => {
      const response = await scrape(authorization).expect(401);
      expect(response.body).toEqual({ detail: 'Could not validate credentials' });
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.text).not.toContain('http_requests_total');
    },
  );

  it('answers the bearer of the token, with metrics of this app only', async () => {
    await request(testApp.app.getHttpServer()).get('/health').expect(200);
    const response = await scrape(`Bearer ${METRICS_TOKEN}`).expect(200);
    expect(response.headers['content-type']).toBe(PROMETHEUS_TEXT);
    const samples = parseExposition(response.text);
    expect(sampleValue(samples, 'http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(1);
    // Refused scrapes are counted too, under the route.
    expect(sampleValue(samples, 'http_requests_total', { method: 'GET', route: '/metrics', status: '401' })).toBe(4);
    // Its own registry: no series from the other app in this process.
    expect(samples.filter((sample) => sample.labels.route === PORTAL)).toEqual([]);
    expect(sampleValue(samples, 'stripe_client_cache_size')).toBe(0);
  });
});
