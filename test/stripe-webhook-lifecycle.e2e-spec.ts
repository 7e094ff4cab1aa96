import { randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { STRIPE_API_VERSION } from '#libs/stripe';
import { fixtures, type Fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { sendSignedEvent } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { endUserToken } from './support/tokens.js';

/**
 * What Stripe's events write, over HTTP and with the real stripe-node SDK against the stub: the stub changes its
 * objects as Stripe would (a checkout paid, a renewal failing, a refund) and returns the events Stripe would send;
 * the test delivers them signed, in order, out of order, twice and at once, and checks the records.
 */

const KEY = 'sk_test_LLLLLLLLLLLLLLLLLLLLcccc';
const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const NEIGHBOUR_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const SUCCESS_URL = 'https://app.example.com/success?session_id={CHECKOUT_SESSION_ID}';
const CANCEL_URL = 'https://app.example.com/pricing';

describe('Stripe webhooks: what events write', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  let projects: Fixtures;
  let prisma: PrismaService;
  let stripe: Stripe;
  let price: string;
  let oneTimePrice: string;
  const owner = randomUUID();
  const project = randomUUID();
  // Shares the Stripe account (the same key) and so receives every event of it.
  const neighbour = randomUUID();

  const deliverTo = (projectId: string, secret: string, event: Stripe.Event) =>
    sendSignedEvent(testApp.app.getHttpServer(), stub, { projectId, secret }, event);
  const deliver = (event: Stripe.Event) => deliverTo(project, SECRET, event);
  const deliverAll = async (events: Stripe.Event[]) => {
    for (const event of events) expect((await deliver(event)).body).toEqual({ received: true });
  };
  const eventOf = (events: Stripe.Event[], type: string) => {
    const found = events.find((event) => event.type === type);
    if (!found) throw new Error(`no ${type} among ${events.map((event) => event.type).join(', ')}`);
    return found;
  };
  const objectIdOf = (event: Stripe.Event) => (event.data.object as { id: string }).id;
  const subscriptionRow = (stripeSubscriptionId: string, projectId = project) =>
    prisma.subscription.findUnique({
      where: { projectId_mode_stripeSubscriptionId: { projectId, mode: 'test', stripeSubscriptionId } },
    });
  const eventRow = (eventId: string, projectId = project) =>
    prisma.webhookEvent.findUnique({
      where: { projectId_mode_stripeEventId: { projectId, mode: 'test', stripeEventId: eventId } },
    });

  /** What the service's checkout sends Stripe for a user: a customer and a session, both carrying the user. */
  async function openCheckout(
    userId: string,
    options: { mode?: 'subscription' | 'payment'; trialDays?: number; metadataProject?: string } = {},
  ): Promise<Stripe.Checkout.Session> {
    const metadata = { project_id: options.metadataProject ?? project, user_id: userId };
    const customer = await stripe.customers.create({ metadata });
    const mode = options.mode ?? 'subscription';
    return stripe.checkout.sessions.create({
      customer: customer.id,
      mode,
      line_items: [{ price: mode === 'subscription' ? price : oneTimePrice, quantity: 1 }],
      success_url: SUCCESS_URL,
      cancel_url: CANCEL_URL,
      client_reference_id: userId,
      metadata,
      ...(mode === 'subscription'
        ? {
            subscription_data: {
              metadata,
              ...(options.trialDays !== undefined && { trial_period_days: options.trialDays }),
            },
          }
        : { payment_intent_data: { metadata } }),
    });
  }

  /** A user who checked out and paid, every event delivered: returns the Stripe subscription id and the events. */
  async function subscribedUser(userId = randomUUID()): Promise<{ userId: string; subscriptionId: string }> {
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    await deliverAll(events);
    const subscriptionId = stub.checkoutSession(KEY, session.id)!.subscription as string;
    return { userId, subscriptionId };
  }

  beforeAll(async () => {
    const stubUrl = await stub.start();
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: stubUrl,
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    projects = fixtures(testApp.app);
    prisma = testApp.app.get(PrismaService);
    await projects.createProject({ id: project, name: 'webhook lifecycle', ownerId: owner });
    await projects.createProject({ id: neighbour, name: 'same Stripe account', ownerId: owner });
    await projects.setModeCredentials(project, 'test', { secretKey: KEY, webhookSecret: SECRET });
    await projects.setModeCredentials(neighbour, 'test', { secretKey: KEY, webhookSecret: NEIGHBOUR_SECRET });
    stub.addAccount(KEY, []);
    price = stub.addPrice(KEY, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });
    oneTimePrice = stub.addPrice(KEY, { unitAmount: 5000, productName: 'Lifetime licence' });
    const url = new URL(stubUrl);
    stripe = new Stripe(KEY, {
      apiVersion: STRIPE_API_VERSION,
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  it('checkout -> paid -> the events -> the subscription, the payment, and a portal with no manual link', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    expect(events.map((event) => event.type)).toEqual([
      'customer.subscription.created',
      'invoice.paid',
      'checkout.session.completed',
    ]);
    await deliverAll(events);

    const subscriptionId = stub.checkoutSession(KEY, session.id)!.subscription as string;
    const inStripe = stub.subscription(KEY, subscriptionId)!;
    const item = inStripe.items.data[0];
    expect(await subscriptionRow(subscriptionId)).toEqual(
      expect.objectContaining({
        userId,
        stripeCustomerId: session.customer,
        status: 'active',
        priceId: price,
        planName: 'Pro',
        quantity: 1,
        currentPeriodStart: new Date(item.current_period_start * 1000),
        currentPeriodEnd: new Date(item.current_period_end * 1000),
        cancelAtPeriodEnd: false,
        cancelAt: null,
        canceledAt: null,
        endedAt: null,
        pastDueSince: null,
        createdAt: new Date(inStripe.created * 1000),
      }),
    );
    const payments = await prisma.payment.findMany({ where: { projectId: project, userId } });
    const invoiceId = objectIdOf(eventOf(events, 'invoice.paid'));
    expect(payments).toEqual([
      expect.objectContaining({
        stripeSourceId: invoiceId,
        stripeInvoiceId: invoiceId,
        status: 'succeeded',
        amountCents: 2000,
        currency: 'usd',
        refundedAmountCents: 0,
        attempts: 1,
        paymentIntentId: expect.stringMatching(/^pi_/),
        subscriptionId: (await subscriptionRow(subscriptionId))!.id,
      }),
    ]);
    for (const event of events) expect(await eventRow(event.id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(
      await prisma.stripeCustomer.findMany({
        where: { projectId: project, userId },
        select: { stripeCustomerId: true },
      }),
    ).toEqual([{ stripeCustomerId: session.customer }]);

    const portal = await request(testApp.app.getHttpServer())
      .post('/api/v1/payments/stripe/customer-portal')
      .set('Authorization', `Bearer ${endUserToken(userId, project)}`)
      .send({ return_url: 'https://app.example.com/account' })
      .expect(200);
    expect(portal.body).toEqual({ portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\//) });
  });

  it('re-fetches instead of trusting the payload: a forged-looking payload writes what Stripe says', async () => {
    const { subscriptionId } = await subscribedUser();
    const [updated] = stub.updateSubscription(KEY, subscriptionId, { cancel_at_period_end: true });
    // The payload claims another status and quantity; only its id is used.
    const tampered = JSON.parse(JSON.stringify(updated)) as Stripe.Event;
    Object.assign(tampered.data.object as Stripe.Subscription, { status: 'canceled', quantity: 99 });
    await deliverAll([tampered]);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({
      status: 'active',
      cancelAtPeriodEnd: true,
      quantity: 1,
    });
  });

  it('writes nothing twice: redeliveries of processed events answer 200 and change nothing', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    await deliverAll(events);
    const requestsBefore = stub.requestsWithKey(KEY).length;
    const rowsBefore = await prisma.subscription.findMany({ where: { projectId: project, userId } });
    await deliverAll([...events, ...events]);
    expect(await prisma.subscription.findMany({ where: { projectId: project, userId } })).toEqual(rowsBefore);
    expect(await prisma.payment.count({ where: { projectId: project, userId } })).toBe(1);
    for (const event of events) expect(await eventRow(event.id)).toMatchObject({ status: 'processed', attempts: 1 });
    // Settled events are answered from the log alone.
    expect(stub.requestsWithKey(KEY).length).toBe(requestsBefore);
  });

  it("is order-proof: an updated before its created, and a late updated after deleted, leave Stripe's last state", async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const created = stub.completeCheckout(KEY, session.id);
    const subscriptionId = stub.checkoutSession(KEY, session.id)!.subscription as string;
    const updated = stub.updateSubscription(KEY, subscriptionId, { cancel_at_period_end: true });
    // updated first, then the older created: the created event's re-fetch sees the newer state too.
    await deliverAll(updated);
    await deliverAll(created);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, userId });

    const laterUpdate = stub.updateSubscription(KEY, subscriptionId, { quantity: 2 });
    const deleted = stub.cancelSubscription(KEY, subscriptionId);
    await deliverAll(deleted);
    await deliverAll(laterUpdate);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({
      status: 'canceled',
      endedAt: expect.any(Date),
      canceledAt: expect.any(Date),
    });
  });

  it('serialises concurrent deliveries: one event twice at once, and two events of one subscription at once', async () => {
    const { subscriptionId } = await subscribedUser();
    const [event] = stub.updateSubscription(KEY, subscriptionId, { quantity: 3 });
    const fetchesBefore = stub.requestsWithKey(KEY).filter((sent) => sent.path.startsWith('/v1/subscriptions/')).length;
    const twice = await Promise.all([deliver(event), deliver(event)]);
    expect(twice.map((response) => [response.status, response.body])).toEqual([
      [200, { received: true }],
      [200, { received: true }],
    ]);
    const fetches = stub.requestsWithKey(KEY).filter((sent) => sent.path.startsWith('/v1/subscriptions/')).length;
    expect(fetches - fetchesBefore).toBe(1);
    expect(await eventRow(event.id)).toMatchObject({ status: 'processed', attempts: 1 });

    const [first] = stub.updateSubscription(KEY, subscriptionId, { cancel_at_period_end: true });
    const [second] = stub.updateSubscription(KEY, subscriptionId, { quantity: 4 });
    const both = await Promise.all([deliver(second), deliver(first)]);
    expect(both.map((response) => response.status)).toEqual([200, 200]);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ quantity: 4, cancelAtPeriodEnd: true });
  });

  it('a Stripe failure while processing answers 503, writes nothing, and the redelivery processes it', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    const createdEvent = eventOf(events, 'customer.subscription.created');
    stub.failNextForKey(KEY, { kind: 'server-error' });
    const failed = await deliver(createdEvent).expect(503);
    expect(failed.body).toEqual({
      detail: "Stripe did not give the event's object (server_error); Stripe will deliver the event again",
    });
    expect(failed.headers['retry-after']).toBe('5');
    const subscriptionId = objectIdOf(createdEvent);
    expect(await subscriptionRow(subscriptionId)).toBeNull();
    expect(await eventRow(createdEvent.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'Stripe server_error',
    });

    await deliverAll([createdEvent]);
    expect(await eventRow(createdEvent.id)).toMatchObject({ status: 'processed', attempts: 2, lastError: null });
    expect(
      await prisma.subscription.count({ where: { projectId: project, stripeSubscriptionId: subscriptionId } }),
    ).toBe(1);
  });

  it('a database failure while writing answers 500, leaves nothing half-written, and the redelivery writes it', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    await deliverAll(events.filter((event) => event.type !== 'invoice.paid'));
    const invoicePaid = eventOf(events, 'invoice.paid');
    // The invoice's transaction writes the subscription, then the payment: the payment insert fails.
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_payment() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'payments are refused'; END $$`);
    await prisma.$executeRawUnsafe(
      'CREATE TRIGGER refuse_payment BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION refuse_payment()',
    );
    const subscriptionId = objectIdOf(eventOf(events, 'customer.subscription.created'));
    const before = await subscriptionRow(subscriptionId);
    try {
      const failed = await deliver(invoicePaid).expect(500);
      expect(failed.body).toEqual({ detail: 'Internal error processing event' });
      expect(await prisma.payment.count({ where: { projectId: project, userId } })).toBe(0);
      expect((await subscriptionRow(subscriptionId))!.fetchedAt).toEqual(before!.fetchedAt);
      expect(await eventRow(invoicePaid.id)).toMatchObject({ status: 'failed', attempts: 1 });
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_payment ON payments');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_payment()');
    }
    await deliverAll([invoicePaid]);
    expect(await prisma.payment.count({ where: { projectId: project, userId } })).toBe(1);
    expect(await eventRow(invoicePaid.id)).toMatchObject({ status: 'processed', attempts: 2 });
  });

  it("touches only the URL's project: a project sharing the Stripe account stores another's objects as ignored", async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    for (const event of events) {
      expect((await deliverTo(neighbour, NEIGHBOUR_SECRET, event)).body).toEqual({ received: true });
      expect(await eventRow(event.id, neighbour)).toMatchObject({ status: 'ignored' });
    }
    expect(await prisma.subscription.count({ where: { projectId: neighbour } })).toBe(0);
    expect(await prisma.payment.count({ where: { projectId: neighbour } })).toBe(0);
    expect(await prisma.stripeCustomer.count({ where: { projectId: neighbour } })).toBe(0);
  });

  it('a failed renewal makes the subscription past_due and the payment failed; the paid retry makes both right', async () => {
    const { subscriptionId } = await subscribedUser();
    const failedRenewal = stub.renewSubscription(KEY, subscriptionId, { payment: 'fails' });
    await deliverAll(failedRenewal);
    const invoiceId = objectIdOf(eventOf(failedRenewal, 'invoice.payment_failed'));
    const pastDue = await subscriptionRow(subscriptionId);
    expect(pastDue).toMatchObject({ status: 'past_due', pastDueSince: expect.any(Date) });
    expect(await prisma.payment.findFirst({ where: { stripeSourceId: invoiceId } })).toMatchObject({
      status: 'failed',
      attempts: 1,
    });

    const retried = stub.retryInvoice(KEY, invoiceId);
    await deliverAll(retried);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ status: 'active', pastDueSince: null });
    const payments = await prisma.payment.findMany({ where: { stripeSourceId: invoiceId } });
    expect(payments).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 2 })]);
  });

  it('records refunds from the charge: partial keeps the payment succeeded, full makes it refunded', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    await deliverAll(stub.completeCheckout(KEY, session.id));
    const payment = await prisma.payment.findFirstOrThrow({ where: { projectId: project, userId } });
    const charge = stub.charges(KEY).find((candidate) => candidate.payment_intent === payment.paymentIntentId)!;

    await deliverAll(stub.refundCharge(KEY, charge.id, 500));
    expect(await prisma.payment.findUnique({ where: { id: payment.id } })).toMatchObject({
      status: 'succeeded',
      refundedAmountCents: 500,
    });
    await deliverAll(stub.refundCharge(KEY, charge.id));
    expect(await prisma.payment.findUnique({ where: { id: payment.id } })).toMatchObject({
      status: 'refunded',
      refundedAmountCents: 2000,
    });
  });

  it('a one-time payment is one payment row keyed by its payment intent, with no subscription', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId, { mode: 'payment' });
    const events = stub.completeCheckout(KEY, session.id);
    await deliverAll(events);
    const intent = stub.checkoutSession(KEY, session.id)!.payment_intent as string;
    expect(await prisma.payment.findMany({ where: { projectId: project, userId } })).toEqual([
      expect.objectContaining({
        stripeSourceId: intent,
        paymentIntentId: intent,
        stripeInvoiceId: null,
        subscriptionId: null,
        status: 'succeeded',
        amountCents: 5000,
      }),
    ]);
    expect(await prisma.subscription.count({ where: { projectId: project, userId } })).toBe(0);
  });

  it('an asynchronous payment that settles later is written from the session Stripe holds then', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId, { mode: 'payment' });
    const completed = eventOf(stub.completeCheckout(KEY, session.id), 'checkout.session.completed');
    // Stripe sends these for delayed payment methods; each names the session, whose payment intent is fetched again.
    for (const type of ['checkout.session.async_payment_failed', 'checkout.session.async_payment_succeeded']) {
      const event = { ...completed, id: `evt_${randomBytes(12).toString('hex')}`, type } as Stripe.Event;
      await deliverAll([event]);
      expect(await eventRow(event.id)).toMatchObject({ status: 'processed', type });
    }
    const intent = stub.checkoutSession(KEY, session.id)!.payment_intent as string;
    expect(await prisma.payment.findMany({ where: { projectId: project, userId } })).toEqual([
      expect.objectContaining({ paymentIntentId: intent, status: 'succeeded', userId }),
    ]);
  });

  it('a trial starts trialing, and its invoice of zero makes no payment', async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId, { trialDays: 14 });
    await deliverAll(stub.completeCheckout(KEY, session.id));
    const subscriptionId = stub.checkoutSession(KEY, session.id)!.subscription as string;
    expect(await subscriptionRow(subscriptionId)).toMatchObject({
      status: 'trialing',
      trialEnd: expect.any(Date),
      userId,
    });
    expect(await prisma.payment.count({ where: { projectId: project, userId } })).toBe(0);
  });

  it("a subscription of a customer no user has yet has no user, until the checkout's event links them", async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    const events = stub.completeCheckout(KEY, session.id);
    await deliverAll(events.filter((event) => event.type !== 'checkout.session.completed'));
    const subscriptionId = objectIdOf(eventOf(events, 'customer.subscription.created'));
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ userId: null });
    expect(await prisma.payment.findFirst({ where: { stripeCustomerId: session.customer as string } })).toMatchObject({
      userId: null,
    });
    await deliverAll([eventOf(events, 'checkout.session.completed')]);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ userId });
    expect(await prisma.payment.findFirst({ where: { stripeCustomerId: session.customer as string } })).toMatchObject({
      userId,
    });
  });

  it('a deleted customer is unlinked and its subscriptions end', async () => {
    const { userId, subscriptionId } = await subscribedUser();
    const customerId = (await subscriptionRow(subscriptionId))!.stripeCustomerId;
    const events = stub.deleteCustomer(KEY, customerId);
    await deliverAll(events);
    expect(await prisma.stripeCustomer.count({ where: { projectId: project, userId } })).toBe(0);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ status: 'canceled', userId });
    expect(await eventRow(eventOf(events, 'customer.deleted').id)).toMatchObject({ status: 'processed' });
  });

  it("an expired checkout session is forgotten as the user's open one", async () => {
    const userId = randomUUID();
    const session = await openCheckout(userId);
    await prisma.checkoutSession.create({
      data: {
        projectId: project,
        mode: 'test',
        userId,
        stripeSessionId: session.id,
        checkoutMode: 'subscription',
        stripeExpiresAt: new Date(session.expires_at * 1000),
      },
    });
    const events = stub.expireCheckout(KEY, session.id);
    expect(events.map((event) => event.type)).toEqual(['checkout.session.expired']);
    await deliverAll(events);
    expect(await prisma.checkoutSession.findFirst({ where: { stripeSessionId: session.id } })).toMatchObject({
      status: 'expired',
    });
  });
});
