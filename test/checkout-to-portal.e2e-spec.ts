import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { OPERATOR, StripeConfigService } from '#libs/projects';
import { fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { endUserToken } from './support/tokens.js';

/**
 * The README's walk-through over HTTP, every step through the service's own endpoints: an end user checks out, Stripe
 * (the stub) takes the payment and sends its events, the service receives them signed, and the user opens the portal
 * with no manual step. Then the rules that hold across the two endpoints: no second subscription, the same customer.
 */

const KEY = 'sk_test_JJJJJJJJJJJJJJJJJJJJourn';
const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const CHECKOUT = '/api/v1/payments/stripe/checkout-session?test_mode=true';
const PORTAL = '/api/v1/payments/stripe/customer-portal?test_mode=true';
const ALREADY_SUBSCRIBED = {
  detail:
    'User already has an active subscription; manage it in the customer portal (POST /api/v1/payments/stripe/customer-portal)',
};

describe('checkout -> webhook -> customer portal', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  let prisma: PrismaService;
  let price: string;
  const project = randomUUID();

  const server = () => testApp.app.getHttpServer();
  const checkout = (userId: string, body: Record<string, unknown> = {}) =>
    request(server())
      .post(CHECKOUT)
      .set('Authorization', `Bearer ${endUserToken(userId, project)}`)
      .send({
        price_id: price,
        success_url: 'https://myapp.example.com/success?session_id={CHECKOUT_SESSION_ID}',
        cancel_url: 'https://myapp.example.com/pricing',
        ...body,
      });
  const portal = (userId: string) =>
    request(server())
      .post(PORTAL)
      .set('Authorization', `Bearer ${endUserToken(userId, project)}`)
      .send({ return_url: 'https://myapp.example.com/account/billing' });
  const deliver = (events: Stripe.Event[]) =>
    deliverSignedEvents(server(), stub, { projectId: project, secret: SECRET }, events);

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    prisma = testApp.app.get(PrismaService);
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: project, name: 'journey', ownerId: randomUUID() });
    await projects.setModeCredentials(project, 'test', { secretKey: KEY, webhookSecret: SECRET });
    stub.addAccount(KEY, []);
    price = stub.addPrice(KEY, { unitAmount: 1500, recurring: { interval: 'month' }, productName: 'Team' });
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  it('a new user checks out, pays, and opens the portal for the customer checkout made', async () => {
    const user = randomUUID();
    expect((await portal(user).expect(404)).body).toEqual({ detail: 'No Stripe customer found for user' });

    const opened = await checkout(user).expect(200);
    expect(opened.body).toEqual({
      session_id: expect.stringMatching(/^cs_test_/),
      checkout_url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/),
    });
    const session = stub.checkoutSession(KEY, opened.body.session_id)!;
    expect(session.client_reference_id).toBe(user);
    expect(session.success_url).toBe('https://myapp.example.com/success?session_id={CHECKOUT_SESSION_ID}');

    await deliver(stub.completeCheckout(KEY, session.id));

    const subscriptions = await prisma.subscription.findMany({ where: { projectId: project, userId: user } });
    expect(subscriptions).toEqual([
      expect.objectContaining({ status: 'active', planName: 'Team', stripeCustomerId: session.customer }),
    ]);
    expect(await prisma.checkoutSession.findFirst({ where: { stripeSessionId: session.id } })).toMatchObject({
      status: 'complete',
    });
    const opensPortal = await portal(user).expect(200);
    expect(opensPortal.body).toEqual({ portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\//) });
    const portalRequest = stub.requestsWithKey(KEY).filter((sent) => sent.path === '/v1/billing_portal/sessions');
    expect(portalRequest.at(-1)!.form.customer).toBe(session.customer);
  });

  it('a subscriber is refused a second subscription checkout, before and after the webhooks arrive', async () => {
    const user = randomUUID();
    const first = await checkout(user).expect(200);
    const events = stub.completeCheckout(KEY, first.body.session_id);
    // Paid, but no event delivered yet: the remembered session is complete in Stripe.
    expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
    await deliver(events);
    expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
    expect(stub.customers(KEY).filter((customer) => customer.metadata.user_id === user)).toHaveLength(1);
  });

  it('after the subscription ends, the same user checks out again with the same customer and no second trial', async () => {
    const user = randomUUID();
    await testApp.app.get(StripeConfigService).update(project, OPERATOR, { trial_period_days: 14 });
    const sessionCreates = () => stub.requestsWithKey(KEY).filter((sent) => sent.path === '/v1/checkout/sessions');
    const first = await checkout(user).expect(200);
    expect(sessionCreates().at(-1)!.form['subscription_data[trial_period_days]']).toBe('14');
    const events = stub.completeCheckout(KEY, first.body.session_id);
    await deliver(events);
    const subscriptionId = stub.checkoutSession(KEY, first.body.session_id)!.subscription as string;
    await deliver(stub.cancelSubscription(KEY, subscriptionId));

    const again = await checkout(user).expect(200);
    expect(sessionCreates().at(-1)!.form['subscription_data[trial_period_days]']).toBeUndefined();
    const second = stub.checkoutSession(KEY, again.body.session_id)!;
    expect(second.customer).toBe(stub.checkoutSession(KEY, first.body.session_id)!.customer);
    expect(stub.customers(KEY).filter((customer) => customer.metadata.user_id === user)).toHaveLength(1);
  });
});
