import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * One subscription's whole life over HTTP, through the service's own endpoints only (on embedded PGlite, and on
 * PostgreSQL in npm run test:postgres): a developer configures a project; an end user subscribes through checkout and
 * the signed webhook, sees the subscription, pays a renewal, lists payments, previews and changes plan, cancels at
 * period end, reactivates and cancels now; at each step the developer's listings, figures and webhook status say the
 * same. Last, a subscription whose events never arrived is repaired by a sync.
 */

const KEY = 'sk_test_JJJJJJJJJJJJJJJJJJJJlife';
const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const API = '/api/v1/payments';
const OUTSIDE_CUSTOMER = 'cus_madeInTheDashboard';

describe('a subscription from checkout to cancellation, as the end user and the developer see it', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  const developer = randomUUID();
  const alice = randomUUID();
  const bob = randomUUID();
  let project: string;
  let monthly: string;
  let team: string;
  let subscriptionId: string;

  const server = () => testApp.app.getHttpServer();
  const asDeveloper = () => `Bearer ${accessToken({ sub: developer })}`;
  const asUser = (userId: string) => `Bearer ${endUserToken(userId, project)}`;
  const endUser = {
    get: (userId: string, path: string) =>
      request(server()).get(`${API}/stripe/${path}?test_mode=true`).set('Authorization', asUser(userId)),
    post: (userId: string, path: string, body: object) =>
      request(server()).post(`${API}/stripe/${path}?test_mode=true`).set('Authorization', asUser(userId)).send(body),
  };
  const dev = {
    get: (path: string) => request(server()).get(`${API}${path}`).set('Authorization', asDeveloper()),
    post: (path: string) => request(server()).post(`${API}${path}`).set('Authorization', asDeveloper()),
  };
  const deliver = (events: Stripe.Event[]) =>
    deliverSignedEvents(server(), stub, { projectId: project, secret: SECRET }, events);
  const mySubscription = async (userId: string) => (await endUser.get(userId, 'my-subscription').expect(200)).body;
  const listed = async () =>
    (await dev.get(`/stripe/projects/${project}/subscriptions?test_mode=true`).expect(200)).body;
  const stats = async () => (await dev.get('/stats?test_mode=true').expect(200)).body;

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      PUBLIC_BASE_URL: 'https://billing.example.com',
    });
    stub.addAccount(KEY, [OUTSIDE_CUSTOMER]);
    monthly = stub.addPrice(KEY, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });
    team = stub.addPrice(KEY, { unitAmount: 5000, recurring: { interval: 'month' }, productName: 'Team' });
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  it('1. the developer creates a project and configures its test keys', async () => {
    const created = await request(server())
      .post('/api/v1/projects')
      .set('Authorization', asDeveloper())
      .send({ name: 'Journey app' })
      .expect(201);
    project = created.body.id;
    await request(server())
      .put(`${API}/stripe/projects/${project}/config`)
      .set('Authorization', asDeveloper())
      .send({ test_secret_key: KEY, test_webhook_secret: SECRET, allowed_price_ids: [monthly, team] })
      .expect(200);
    expect((await dev.get(`/stripe/projects/${project}/webhook-status?test_mode=true`).expect(200)).body).toEqual({
      last_event_at: null,
      last_event_type: null,
      events_last_24h: 0,
      failed_events_last_24h: 0,
      signature_failures_last_24h: 0,
      last_signature_failure_at: null,
    });
  });

  it('2. the user has no subscription, checks out, and the webhook records it: active and entitled', async () => {
    expect(await mySubscription(alice)).toBeNull();
    const session = await endUser
      .post(alice, 'checkout-session', {
        price_id: monthly,
        success_url: 'https://app.example.com/welcome',
        cancel_url: 'https://app.example.com/pricing',
      })
      .expect(200);
    await deliver(stub.completeCheckout(KEY, session.body.session_id));
    subscriptionId = stub.checkoutSession(KEY, session.body.session_id)!.subscription as string;

    expect(await mySubscription(alice)).toMatchObject({
      user_id: alice,
      subscription_id: subscriptionId,
      status: 'active',
      plan_name: 'Pro',
      price_id: monthly,
      cancel_at_period_end: false,
      is_entitled: true,
    });
    const developerView = await listed();
    expect(developerView).toMatchObject({
      total: 1,
      subscriptions: [{ subscription_id: subscriptionId, user_id: alice }],
    });
    expect(developerView.subscriptions[0]).toEqual(await mySubscription(alice));
    expect(await stats()).toMatchObject({
      total_projects: 1,
      projects_with_config: 1,
      projects_with_test: 1,
      projects_with_live: 0,
      total_subscriptions: 1,
      active_subscriptions: 1,
      total_payments: 1,
      successful_payments: 1,
      total_revenue_cents: 2000,
      currency: 'usd',
      revenue_by_currency: [{ currency: 'usd', successful_payments: 1, revenue_cents: 2000, refunded_cents: 0 }],
    });
    const status = (await dev.get(`/stripe/projects/${project}/webhook-status?test_mode=true`).expect(200)).body;
    expect(status).toMatchObject({ failed_events_last_24h: 0, signature_failures_last_24h: 0 });
    expect(status.events_last_24h).toBeGreaterThanOrEqual(3);
    expect(status.last_event_type).toEqual(expect.any(String));
  });

  it('3. a renewal is paid: two payments for the user, the developer and the figures', async () => {
    await deliver(stub.renewSubscription(KEY, subscriptionId, { payment: 'succeeds' }));
    const payments = (await endUser.get(alice, 'my-payments').expect(200)).body;
    expect(payments).toMatchObject({ total: 2, page: 1, page_size: 50 });
    expect(payments.payments.map((payment: { amount_cents: number }) => payment.amount_cents)).toEqual([2000, 2000]);
    expect((await dev.get(`/transactions?project_id=${project}`).expect(200)).body).toMatchObject({
      total: 2,
      payments: [{ project_name: 'Journey app', provider: 'stripe', user_id: alice }, { user_id: alice }],
    });
    expect(await stats()).toMatchObject({ successful_payments: 2, total_revenue_cents: 4000 });
  });

  it('4. the user previews the change to Team, then makes it; the webhook that follows changes nothing', async () => {
    const preview = await endUser
      .post(alice, 'update-subscription/preview', { new_price_id: team, proration_behavior: 'always_invoice' })
      .expect(200);
    expect(preview.body).toMatchObject({ currency: 'usd', next_invoice_amount: 5000 });
    expect(preview.body.amount_due_now).toBeGreaterThan(0);
    expect((await mySubscription(alice)).price_id).toBe(monthly);

    stub.takeApiEvents(KEY);
    const updated = await endUser.post(alice, 'update-subscription', { new_price_id: team }).expect(200);
    expect(updated.body).toEqual({
      subscription_id: subscriptionId,
      status: 'active',
      price_id: team,
      message: 'Subscription updated to new plan successfully.',
    });
    const afterChange = await mySubscription(alice);
    expect(afterChange).toMatchObject({ price_id: team, plan_name: 'Team', quantity: 1 });
    await deliver(stub.takeApiEvents(KEY));
    expect(await mySubscription(alice)).toEqual(afterChange);
    expect((await listed()).subscriptions[0]).toEqual(afterChange);
  });

  it('5. the user cancels at period end (still entitled), reactivates, then cancels now', async () => {
    const scheduled = await endUser.post(alice, 'cancel-subscription', { cancel_immediately: false }).expect(200);
    expect(scheduled.body).toMatchObject({
      subscription_id: subscriptionId,
      status: 'active',
      message: 'Subscription will be canceled at the end of the current billing period.',
    });
    expect(await mySubscription(alice)).toMatchObject({ cancel_at_period_end: true, is_entitled: true });
    expect((await listed()).subscriptions[0]).toMatchObject({ cancel_at_period_end: true });
    // Asking again answers the same.
    expect((await endUser.post(alice, 'cancel-subscription', {}).expect(200)).body).toEqual(scheduled.body);

    const reactivated = await endUser.post(alice, 'reactivate-subscription', {}).expect(200);
    expect(reactivated.body).toMatchObject({
      subscription_id: subscriptionId,
      status: 'active',
      message: 'Subscription reactivated; it will renew at the end of the current billing period.',
    });
    expect(await mySubscription(alice)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });

    const canceled = await endUser.post(alice, 'cancel-subscription', { cancel_immediately: true }).expect(200);
    expect(canceled.body).toMatchObject({
      subscription_id: subscriptionId,
      status: 'canceled',
      message: 'Subscription has been canceled immediately.',
    });
    await deliver(stub.takeApiEvents(KEY));
    expect(await mySubscription(alice)).toBeNull();
    expect((await endUser.post(alice, 'cancel-subscription', {}).expect(404)).body).toEqual({
      detail: 'No active subscription to cancel',
    });
    expect((await listed()).subscriptions[0]).toMatchObject({ status: 'canceled', is_entitled: false });
    expect(await stats()).toMatchObject({ total_subscriptions: 1, active_subscriptions: 0, successful_payments: 2 });
  });

  it('6. a subscription whose events never arrived is repaired by a sync, its customer link restored', async () => {
    // Made in Stripe for Bob's customer, named for this project; its webhooks are lost.
    const [created] = stub.createSubscription(KEY, {
      customer: OUTSIDE_CUSTOMER,
      price: monthly,
      metadata: { project_id: project, user_id: bob },
    });
    const outside = (created.data.object as Stripe.Subscription).id;
    expect(await mySubscription(bob)).toBeNull();
    expect((await listed()).total).toBe(1);

    const synced = await dev.post(`/stripe/projects/${project}/sync?test_mode=true`).expect(200);
    expect(synced.body).toEqual({ fetched: 2, created: 1, updated: 0, unchanged: 1, ignored: 0, links_restored: 1 });
    expect(await mySubscription(bob)).toMatchObject({
      subscription_id: outside,
      customer_id: OUTSIDE_CUSTOMER,
      status: 'active',
      is_entitled: true,
    });
    expect((await listed()).total).toBe(2);
    // Nothing left to repair.
    expect((await dev.post(`/stripe/projects/${project}/sync?test_mode=true`).expect(200)).body).toEqual({
      fetched: 2,
      created: 0,
      updated: 0,
      unchanged: 2,
      ignored: 0,
      links_restored: 0,
    });
    // The user now reaches the portal with the restored customer.
    const portal = await endUser
      .post(bob, 'customer-portal', { return_url: 'https://app.example.com/account' })
      .expect(200);
    expect(portal.body.portal_url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
  });
});
