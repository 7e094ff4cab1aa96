import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

const keys = { test: 'sk_test_51LifecycleFirst0000aaaa', rotated: 'sk_test_51LifecycleRotated00bbbb' };

// The README walk-through, over HTTP only: a developer provisions a project, an end user opens the portal.
describe('developer lifecycle over REST', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: await stripe.start() });
    stripe.addAccount(keys.test, ['cus_lifecycle']);
    stripe.addAccount(keys.rotated, ['cus_lifecycle']);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  it('creates, configures, links, opens the portal, rotates, deactivates and reactivates', async () => {
    const server = testApp.app.getHttpServer();
    const developer = `Bearer ${accessToken({ sub: randomUUID() })}`;
    const endUserId = randomUUID();

    const created = await request(server)
      .post('/api/v1/projects/')
      .set('Authorization', developer)
      .send({ name: 'My app', description: 'Walk-through' })
      .expect(201);
    const projectId: string = created.body.id;
    const base = `/api/v1/payments/stripe/projects/${projectId}`;
    const endUser = `Bearer ${endUserToken(endUserId, projectId)}`;
    const openPortal = () =>
      request(server)
        .post('/api/v1/payments/stripe/customer-portal?test_mode=true')
        .set('Authorization', endUser)
        .send({ return_url: 'https://myapp.example.com/account/billing' });

    // Not configured yet: the portal says so.
    expect((await openPortal().expect(404)).body).toEqual({ detail: 'Project not found or Stripe not configured' });

    await request(server)
      .put(`${base}/config`)
      .set('Authorization', developer)
      .send({ test_secret_key: keys.test })
      .expect(200);
    expect((await openPortal().expect(404)).body).toEqual({ detail: 'No Stripe customer found for user' });

    const linked = await request(server)
      .put(`${base}/customers/${endUserId}?test_mode=true`)
      .set('Authorization', developer)
      .send({ stripe_customer_id: 'cus_lifecycle' })
      .expect(200);
    expect(linked.body).toEqual({
      project_id: projectId,
      user_id: endUserId,
      test_mode: true,
      stripe_customer_id: 'cus_lifecycle',
    });

    const portal = await openPortal().expect(200);
    expect(portal.body.portal_url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\/test_/);
    expect(stripe.requests.at(-1)).toMatchObject({ apiKey: keys.test, form: { customer: 'cus_lifecycle' } });

    await request(server)
      .put(`${base}/config`)
      .set('Authorization', developer)
      .send({ test_secret_key: keys.rotated })
      .expect(200);
    await openPortal().expect(200);
    expect(stripe.requests.at(-1)?.apiKey).toBe(keys.rotated);

    await request(server).delete(`${base}/config`).set('Authorization', developer).expect(204);
    expect((await openPortal().expect(404)).body).toEqual({ detail: 'Project not found or Stripe not configured' });

    await request(server).put(`${base}/config`).set('Authorization', developer).send({}).expect(200);
    await openPortal().expect(200);
    expect(stripe.requests.at(-1)?.apiKey).toBe(keys.rotated);

    const history = await request(server).get(`${base}/config/history`).set('Authorization', developer).expect(200);
    expect(
      history.body.changes.map((change: { action: string; fields: string[] }) => [change.action, change.fields]),
    ).toEqual([
      ['update', ['is_active']],
      ['deactivate', ['is_active']],
      ['update', ['test_secret_key']],
      ['update', ['test_secret_key']],
    ]);

    const payments = await request(server).get('/api/v1/payments/projects').set('Authorization', developer).expect(200);
    expect(payments.body).toEqual({
      total: 1,
      projects: [
        expect.objectContaining({
          id: projectId,
          has_payment_config: true,
          has_test_credentials: true,
          is_active: true,
        }),
      ],
    });

    await request(server).delete(`/api/v1/projects/${projectId}`).set('Authorization', developer).expect(204);
    expect((await openPortal().expect(404)).body).toEqual({ detail: 'Project not found or Stripe not configured' });
  });
});
