import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  createBillingClient,
  type CustomerPortalResponse,
  type ErrorDetail,
  type HTTPValidationError,
  type StripeConfigResponse,
} from '#libs/sdk';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

const PORTAL = '/api/v1/payments/stripe/customer-portal';
const CONFIG = '/api/v1/payments/stripe/projects/{project_id}/config';
const CUSTOMER = '/api/v1/payments/stripe/projects/{project_id}/customers/{user_id}';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const INVALID_CREDENTIALS: ErrorDetail = { detail: 'Could not validate credentials' };
const keys = { test: 'sk_test_51SdkSuite000000000aaaa', publishable: 'pk_test_51SdkSuite000000000dddd' };

// The running service, driven only through the generated SDK: a contract break fails here, at run time or in tsc.
describe('TypeScript SDK (libs/sdk) against the running service', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  let baseUrl: string;
  const developerId = randomUUID();
  const endUserId = randomUUID();
  const developer = () => createBillingClient({ baseUrl, token: accessToken({ sub: developerId }) });
  const endUser = (projectId: string) => createBillingClient({ baseUrl, token: endUserToken(endUserId, projectId) });
  const openPortal = (projectId: string) =>
    endUser(projectId).POST(PORTAL, { params: { query: { test_mode: true } }, body: { return_url: RETURN_URL } });

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: await stripe.start() });
    const { port } = testApp.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    stripe.addAccount(keys.test, ['cus_sdk']);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  it('lets a developer provision a project and its end user open the portal', async () => {
    const created = await developer().POST('/api/v1/projects', { body: { name: 'SDK app', description: 'Via SDK' } });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'SDK app',
      description: 'Via SDK',
      owner_id: developerId,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const projectId = created.data!.id;
    const project = { project_id: projectId };

    const configured = await developer().PUT(CONFIG, {
      params: { path: project },
      body: { test_secret_key: keys.test, test_publishable_key: keys.publishable },
    });
    expect(configured.response.status).toBe(200);

    const linked = await developer().PUT(CUSTOMER, {
      params: { path: { ...project, user_id: endUserId }, query: { test_mode: true } },
      body: { stripe_customer_id: 'cus_sdk' },
    });
    expect(linked.response.status).toBe(200);
    expect(linked.data).toEqual({
      project_id: projectId,
      user_id: endUserId,
      test_mode: true,
      stripe_customer_id: 'cus_sdk',
    });

    const fetched = await developer().GET(CONFIG, { params: { path: project } });
    expect(fetched.response.status).toBe(200);
    const config: StripeConfigResponse | null | undefined = fetched.data;
    expect(config).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: projectId,
      is_active: true,
      has_test_credentials: true,
      has_live_credentials: false,
      test_secret_key_masked: 'sk_test_...aaaa',
      test_publishable_key_masked: 'pk_test_...dddd',
      test_webhook_secret_masked: null,
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
    expect(configured.data).toEqual(config);

    const { data, error, response } = await openPortal(projectId);
    const portal: CustomerPortalResponse | undefined = data;
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(portal).toEqual({ portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\/p\/session\/test_/) });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(stripe.requests.at(-1)).toMatchObject({
      apiKey: keys.test,
      form: { customer: 'cus_sdk', return_url: RETURN_URL },
    });
  });

  it('sends the token it was created with, through the fetch it was given', async () => {
    const sent: Request[] = [];
    const client = createBillingClient({
      baseUrl,
      token: 'not-a-jwt',
      fetch: (request) => {
        sent.push(request);
        return fetch(request);
      },
    });

    const { error, response } = await client.GET('/api/v1/projects');

    expect(response.status).toBe(401);
    expect(error).toEqual(INVALID_CREDENTIALS);
    expect(sent.map((request) => [request.method, request.url, request.headers.get('authorization')])).toEqual([
      ['GET', `${baseUrl}/api/v1/projects`, 'Bearer not-a-jwt'],
    ]);
  });

  it('types a 401 as {detail}', async () => {
    const { data, error, response } = await createBillingClient({ baseUrl }).POST(PORTAL, {
      body: { return_url: RETURN_URL },
    });
    const detail: ErrorDetail | HTTPValidationError | undefined = error;

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(data).toBeUndefined();
    expect(detail).toEqual(INVALID_CREDENTIALS);
  });

  it('types a 403 for a developer token on the portal', async () => {
    const { error, response } = await developer().POST(PORTAL, { body: { return_url: RETURN_URL } });

    expect(response.status).toBe(403);
    expect(error).toEqual({
      detail: 'This endpoint requires an end-user access token with project scope (project_id claim)',
    });
  });

  it('types a 422 as HTTPValidationError', async () => {
    const { error, response } = await endUser(randomUUID()).POST(PORTAL, {
      body: { return_url: 'javascript:alert(1)' },
    });
    const expected: HTTPValidationError = {
      detail: [
        {
          loc: ['body', 'return_url'],
          msg: 'Value error, return_url must be an absolute URL starting with http:// or https://',
          type: 'value_error',
        },
      ],
    };

    expect(response.status).toBe(422);
    expect(error).toEqual(expected);
    expect(stripe.requests).toEqual([]);
  });

  it('refuses at compile time the body the service refuses at run time', async () => {
    // @ts-expect-error return_url is required by CustomerPortalRequest
    const { error, response } = await endUser(randomUUID()).POST(PORTAL, { body: {} });

    expect(response.status).toBe(422);
    expect(error).toEqual({ detail: [{ loc: ['body', 'return_url'], msg: 'Field required', type: 'missing' }] });
  });

  it('types a 404 for a project that is not configured, and for a project that is not yours', async () => {
    const unknownProject = randomUUID();

    const portal = await openPortal(unknownProject);
    expect(portal.response.status).toBe(404);
    expect(portal.error).toEqual({ detail: 'Project not found or Stripe not configured' });

    const config = await developer().GET(CONFIG, { params: { path: { project_id: unknownProject } } });
    expect(config.response.status).toBe(404);
    expect(config.error).toEqual({ detail: 'Project not found' });
    expect(stripe.requests).toEqual([]);
  });
});
