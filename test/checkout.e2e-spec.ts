import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import request from 'supertest';
import { CheckoutSessionsRepository, NOT_ENDED_SUBSCRIPTION_STATUSES } from '#libs/billing-records';
import { PrismaService } from '#libs/database';
import { OPERATOR, StripeConfigService, StripeCustomersRepository } from '#libs/projects';
import { STRIPE_API_VERSION } from '#libs/stripe';
import { fixtures, type Fixtures } from './support/fixtures.js';
import { StripeStub, type RecordedRequest } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

const PATH = '/api/v1/payments/stripe/checkout-session';
const SUCCESS_URL = 'https://myapp.example.com/success?session_id={CHECKOUT_SESSION_ID}';
const CANCEL_URL = 'https://myapp.example.com/pricing';
const STRIPE_BUDGET_MS = 1500;
// What the service waits for another checkout of the same user: three Stripe budgets.
const LEASE_WAIT_MS = 3 * STRIPE_BUDGET_MS;

const NOT_CONFIGURED = { detail: 'Project not found or Stripe not configured' };
const ALREADY_SUBSCRIBED = {
  detail:
    'User already has an active subscription; manage it in the customer portal (POST /api/v1/payments/stripe/customer-portal)',
};
const KEY_REUSED = {
  detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
};
const BUSY = { detail: 'Another checkout for this user is still in progress; try again shortly' };

const keys = {
  test: 'sk_test_CHECKOUTaaaaaaaaaaaaaaaa',
  live: 'sk_live_CHECKOUTllllllllllllllll',
  other: 'sk_test_CHECKOUToooooooooooooooo',
};
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;

const valueError = (loc: (string | number)[], reason: string) => ({
  loc,
  msg: `Value error, ${reason}`,
  type: 'value_error',
});

describe('POST /api/v1/payments/stripe/checkout-session', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  let projects: Fixtures;
  let prisma: PrismaService;

  const owner = randomUUID();
  const project = randomUUID();
  const projectInactive = randomUUID();
  const projectUnconfigured = randomUUID();
  const projectOnlyTest = randomUUID();
  const prices = { monthly: '', yearly: '', oneTime: '', inactive: '', live: '' };

  const server = () => testApp.app.getHttpServer();
  const post = (token: string | undefined, query = '') => {
    const call = request(server()).post(`${PATH}${query}`);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const body = (overrides: Record<string, unknown> = {}) => ({
    price_id: prices.monthly,
    success_url: SUCCESS_URL,
    cancel_url: CANCEL_URL,
    ...overrides,
  });
  const checkout = (userId: string, overrides: Record<string, unknown> = {}, query = '') =>
    post(endUserToken(userId, project), query).send(body(overrides));
  const sessionRows = (userId: string) =>
    prisma.checkoutSession.findMany({
      where: { projectId: project, userId },
      orderBy: { createdAt: 'asc' },
      select: { stripeSessionId: true, status: true, checkoutMode: true, mode: true },
    });
  const linkOf = async (userId: string, mode: 'test' | 'live' = 'test') =>
    (
      await prisma.stripeCustomer.findUnique({
        where: { projectId_userId_mode: { projectId: project, userId, mode } },
      })
    )?.stripeCustomerId;
  /** Checkout leases left behind in the project (or, for another project, in that one). */
  const leftLeases = (projectId = project) =>
    prisma.lease.count({ where: { key: { startsWith: `checkout:${projectId}:` } } });
  const customersOf = (userId: string, key = keys.test) =>
    stripe.customers(key).filter((customer) => customer.metadata.user_id === userId);
  const sessionsOf = (userId: string, key = keys.test) =>
    stripe.checkoutSessions(key).filter((session) => session.client_reference_id === userId);
  const calls = (sent: RecordedRequest[] = stripe.requests) =>
    sent.map((call) => `${call.method} ${call.path.replace(/cs_test_\w+/, 'cs_test_*')}`);
  const deliver = (event: Stripe.Event) =>
    deliverSignedEvents(server(), stripe, { projectId: project, secret: WEBHOOK_SECRET }, [event]);
  const setConfig = (patch: Parameters<StripeConfigService['update']>[2]) =>
    testApp.app.get(StripeConfigService).update(project, OPERATOR, patch);
  const addSubscription = (userId: string | null, status: string, customerId = `cus_${randomUUID().slice(0, 8)}`) =>
    prisma.subscription.create({
      data: {
        projectId: project,
        mode: 'test',
        userId,
        stripeSubscriptionId: `sub_${randomUUID().replace(/-/g, '')}`,
        stripeCustomerId: customerId,
        status,
        quantity: 1,
        createdAt: new Date(Date.now() - 86_400_000),
        fetchedAt: new Date(),
      },
    });

  beforeAll(async () => {
    const stubUrl = await stripe.start();
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: stubUrl,
      STRIPE_TIMEOUT_MS: String(STRIPE_BUDGET_MS),
      // Users here check out more often than the default limits allow; rate-limit.ops-spec.ts covers the limits.
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    projects = fixtures(testApp.app);
    prisma = testApp.app.get(PrismaService);

    for (const id of [project, projectInactive, projectUnconfigured, projectOnlyTest]) {
      await projects.createProject({ id, name: 'checkout', ownerId: owner });
    }
    await projects.setModeCredentials(project, 'test', { secretKey: keys.test, webhookSecret: WEBHOOK_SECRET });
    await projects.setModeCredentials(project, 'live', { secretKey: keys.live });
    await projects.setModeCredentials(projectInactive, 'test', { secretKey: keys.other });
    await prisma.stripeConfig.update({ where: { projectId: projectInactive }, data: { isActive: false } });
    await projects.setModeCredentials(projectOnlyTest, 'test', { secretKey: keys.other });

    stripe.addAccount(keys.test, ['cus_returning1', 'cus_returning2', 'cus_returning3']);
    stripe.addAccount(keys.live, []);
    stripe.addAccount(keys.other, []);
    prices.monthly = stripe.addPrice(keys.test, { unitAmount: 2000, recurring: { interval: 'month' } });
    prices.yearly = stripe.addPrice(keys.test, { unitAmount: 20000, recurring: { interval: 'year' } });
    prices.oneTime = stripe.addPrice(keys.test, { unitAmount: 5000 });
    prices.inactive = stripe.addPrice(keys.test, {
      unitAmount: 1000,
      recurring: { interval: 'month' },
      active: false,
    });
    prices.live = stripe.addPrice(keys.live, { unitAmount: 2000, recurring: { interval: 'month' } });
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  describe('a first checkout', () => {
    it("creates the user's Stripe customer, then the session, and answers its id and URL", async () => {
      const user = randomUUID();
      const response = await checkout(user).expect(200);

      const [created] = customersOf(user);
      const [session] = sessionsOf(user);
      expect(response.body).toEqual({ session_id: session.id, checkout_url: session.url });
      expect(response.body.session_id).toMatch(/^cs_test_/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(calls()).toEqual(['POST /v1/customers', 'POST /v1/checkout/sessions']);
      const [customerCall, sessionCall] = stripe.requests;
      expect(customerCall.apiKey).toBe(keys.test);
      expect(customerCall.stripeVersion).toBe(STRIPE_API_VERSION);
      expect(customerCall.form).toEqual({ 'metadata[project_id]': project, 'metadata[user_id]': user });
      expect(customerCall.idempotencyKey).toMatch(/^customer-[0-9a-f]{64}$/);
      expect(sessionCall.form).toEqual({
        customer: created.id,
        'line_items[0][price]': prices.monthly,
        'line_items[0][quantity]': '1',
        mode: 'subscription',
        success_url: SUCCESS_URL,
        cancel_url: CANCEL_URL,
        client_reference_id: user,
        'metadata[project_id]': project,
        'metadata[user_id]': user,
        'subscription_data[metadata][project_id]': project,
        'subscription_data[metadata][user_id]': user,
      });
      expect(sessionCall.idempotencyKey).toMatch(/^checkout-[0-9a-f]{64}$/);
      expect(session).toMatchObject({ customer: created.id, success_url: SUCCESS_URL, status: 'open' });

      expect(await linkOf(user)).toBe(created.id);
      expect(await sessionRows(user)).toEqual([
        { stripeSessionId: session.id, status: 'open', checkoutMode: 'subscription', mode: 'test' },
      ]);
      expect(await leftLeases()).toBe(0);
    });

    it('uses the live key, a live customer and live prices with test_mode=false', async () => {
      const user = randomUUID();
      const response = await checkout(user, { price_id: prices.live }, '?test_mode=false').expect(200);

      expect(response.body.session_id).toMatch(/^cs_live_/);
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.live, keys.live]);
      expect(customersOf(user, keys.live)).toHaveLength(1);
      expect(customersOf(user)).toHaveLength(0);
      expect(await linkOf(user, 'live')).toBe(customersOf(user, keys.live)[0].id);
      expect(await linkOf(user, 'test')).toBeUndefined();
    });

    it("sends the caller's quantity and metadata (as strings) with the service's own, on the subscription too", async () => {
      const user = randomUUID();
      await checkout(user, {
        quantity: 3,
        metadata: { campaign: 'spring', seats: 3, annual: false },
        extra_field: 'ignored',
      }).expect(200);

      const sent = stripe.requests.at(-1)!.form;
      expect(sent).toMatchObject({
        'line_items[0][quantity]': '3',
        'metadata[campaign]': 'spring',
        'metadata[seats]': '3',
        'metadata[annual]': 'false',
        'metadata[project_id]': project,
        'subscription_data[metadata][campaign]': 'spring',
        'subscription_data[metadata][user_id]': user,
      });
      expect(Object.keys(sent).some((name) => name.includes('extra'))).toBe(false);
      expect(sessionsOf(user)[0].metadata).toEqual({
        campaign: 'spring',
        seats: '3',
        annual: 'false',
        project_id: project,
        user_id: user,
      });
    });

    it('accepts an empty or null metadata as none', async () => {
      for (const metadata of [{}, null]) {
        const user = randomUUID();
        await checkout(user, { metadata }).expect(200);
        expect(Object.keys(stripe.requests.at(-1)!.form).filter((name) => name.startsWith('metadata['))).toEqual([
          'metadata[project_id]',
          'metadata[user_id]',
        ]);
      }
    });
  });

  describe('a returning customer', () => {
    it('reuses the customer: 2 SQL round trips and 1 Stripe call when no session is open', async () => {
      const user = randomUUID();
      await projects.linkCustomer(project, user, 'test', 'cus_returning1');
      await checkout(user).expect(200); // warm-up: the first request builds the Stripe client
      const [first] = sessionsOf(user);
      stripe.expireCheckout(keys.test, first.id);
      await testApp.app.get(CheckoutSessionsRepository).settle(prisma, project, 'test', first.id, 'expired');
      stripe.reset();

      const before = prisma.statementCount;
      const response = await checkout(user).expect(200);

      expect(prisma.statementCount - before).toBe(2);
      expect(calls()).toEqual(['POST /v1/checkout/sessions']);
      expect(stripe.requests[0].form.customer).toBe('cus_returning1');
      expect(response.body.session_id).not.toBe(first.id);
    });

    it("expires the user's open subscription session first: 2 SQL round trips and 2 Stripe calls", async () => {
      const user = randomUUID();
      await projects.linkCustomer(project, user, 'test', 'cus_returning2');
      const first = (await checkout(user).expect(200)).body.session_id as string;
      stripe.reset();

      const before = prisma.statementCount;
      const second = (await checkout(user, { price_id: prices.yearly }).expect(200)).body.session_id as string;

      expect(prisma.statementCount - before).toBe(2);
      expect(calls()).toEqual(['POST /v1/checkout/sessions/cs_test_*/expire', 'POST /v1/checkout/sessions']);
      expect(stripe.requests[0].path).toBe(`/v1/checkout/sessions/${first}/expire`);
      expect(stripe.checkoutSession(keys.test, first)?.status).toBe('expired');
      expect(stripe.checkoutSession(keys.test, second)?.status).toBe('open');
      expect((await sessionRows(user)).map((row) => [row.stripeSessionId, row.status])).toEqual([
        [first, 'expired'],
        [second, 'open'],
      ]);
    });

    it('leaves the user one payable session after several checkouts', async () => {
      const user = randomUUID();
      for (let attempt = 0; attempt < 3; attempt += 1) await checkout(user).expect(200);

      expect(sessionsOf(user).map((session) => session.status)).toEqual(['expired', 'expired', 'open']);
      expect((await sessionRows(user)).map((row) => row.status)).toEqual(['expired', 'expired', 'open']);
      expect(customersOf(user)).toHaveLength(1);
    });
  });

  describe('one-time payments', () => {
    it('sends the metadata to the payment intent, and may repeat: no session is expired', async () => {
      const user = randomUUID();
      const subscriptionSession = (await checkout(user).expect(200)).body.session_id as string;
      stripe.reset();
      await checkout(user, { price_id: prices.oneTime, mode: 'payment' }).expect(200);
      await checkout(user, { price_id: prices.oneTime, mode: 'payment', quantity: 2 }).expect(200);

      expect(calls()).toEqual(['POST /v1/checkout/sessions', 'POST /v1/checkout/sessions']);
      expect(stripe.requests[0].form).toEqual({
        customer: customersOf(user)[0].id,
        'line_items[0][price]': prices.oneTime,
        'line_items[0][quantity]': '1',
        mode: 'payment',
        success_url: SUCCESS_URL,
        cancel_url: CANCEL_URL,
        client_reference_id: user,
        'metadata[project_id]': project,
        'metadata[user_id]': user,
        'payment_intent_data[metadata][project_id]': project,
        'payment_intent_data[metadata][user_id]': user,
      });
      expect(sessionsOf(user).map((session) => [session.mode, session.status])).toEqual([
        ['subscription', 'open'],
        ['payment', 'open'],
        ['payment', 'open'],
      ]);
      expect((await sessionRows(user)).map((row) => [row.checkoutMode, row.status])).toEqual([
        ['subscription', 'open'],
        ['payment', 'open'],
        ['payment', 'open'],
      ]);
      expect(stripe.checkoutSession(keys.test, subscriptionSession)?.status).toBe('open');
    });

    it('is open to a user with an active subscription', async () => {
      const user = randomUUID();
      await addSubscription(user, 'active');
      await checkout(user, { price_id: prices.oneTime, mode: 'payment' }).expect(200);
    });
  });

  describe('users who already subscribed (400)', () => {
    it.each(NOT_ENDED_SUBSCRIPTION_STATUSES)(
      'refuses a subscription checkout to a user with a %s subscription, without calling Stripe',
      async (status) => {
        const user = randomUUID();
        await addSubscription(user, status);
        const response = await checkout(user).expect(400);
        expect(response.body).toEqual(ALREADY_SUBSCRIBED);
        expect(stripe.requests).toHaveLength(0);
        expect(await leftLeases()).toBe(0);
      },
    );

    it.each(['canceled', 'incomplete', 'incomplete_expired'])(
      'lets a user whose subscription is %s subscribe',
      async (status) => {
        const user = randomUUID();
        await addSubscription(user, status);
        await checkout(user).expect(200);
      },
    );

    it("counts the subscription of the user's customer that no user was linked to yet", async () => {
      const user = randomUUID();
      await projects.linkCustomer(project, user, 'test', 'cus_returning3');
      await addSubscription(null, 'active', 'cus_returning3');
      expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
    });

    it('lets the user check out anyway with allow_existing_subscription, still expiring the open session', async () => {
      const user = randomUUID();
      const first = (await checkout(user).expect(200)).body.session_id as string;
      await addSubscription(user, 'active');
      await checkout(user, { allow_existing_subscription: true }).expect(200);
      expect(stripe.checkoutSession(keys.test, first)?.status).toBe('expired');
    });

    it('refuses after checkout -> paid -> webhook, and the portal then works with no manual link', async () => {
      const user = randomUUID();
      const session = (await checkout(user).expect(200)).body.session_id as string;
      for (const event of stripe.completeCheckout(keys.test, session)) await deliver(event);

      expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
      expect((await sessionRows(user)).map((row) => row.status)).toEqual(['complete']);
      const portal = await request(server())
        .post('/api/v1/payments/stripe/customer-portal')
        .set('Authorization', `Bearer ${endUserToken(user, project)}`)
        .send({ return_url: 'https://myapp.example.com/account' })
        .expect(200);
      expect(portal.body.portal_url).toMatch(/^https:\/\/billing\.stripe\.com\//);
      expect(stripe.requests.at(-1)!.form.customer).toBe(customersOf(user)[0].id);
    });

    it('refuses when the open session was paid before its webhook arrived, and keeps refusing until it does', async () => {
      const user = randomUUID();
      const session = (await checkout(user).expect(200)).body.session_id as string;
      const events = stripe.completeCheckout(keys.test, session);
      stripe.reset();

      expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
      // Stripe refuses to expire a paid session; the service asks it how the session ended.
      expect(calls()).toEqual(['POST /v1/checkout/sessions/cs_test_*/expire', 'GET /v1/checkout/sessions/cs_test_*']);
      expect((await sessionRows(user)).map((row) => row.status)).toEqual(['complete']);
      expect(sessionsOf(user)).toHaveLength(1);

      stripe.reset();
      expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
      expect(stripe.requests).toHaveLength(0);

      for (const event of events) await deliver(event);
      expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
      expect(sessionsOf(user)).toHaveLength(1);
    });
  });

  describe('trials', () => {
    beforeAll(async () => {
      await setConfig({ trial_period_days: 14 });
    });

    afterAll(async () => {
      await setConfig({ trial_period_days: null });
    });

    const trialSent = () => stripe.requests.at(-1)!.form['subscription_data[trial_period_days]'];

    it("sends the project's trial with a user's first subscription checkout, every time until they subscribe", async () => {
      const user = randomUUID();
      await checkout(user).expect(200);
      expect(trialSent()).toBe('14');
      await checkout(user).expect(200);
      expect(trialSent()).toBe('14');
    });

    it('sends none to a user who had a subscription, even an ended one', async () => {
      const user = randomUUID();
      await addSubscription(user, 'canceled');
      await checkout(user).expect(200);
      expect(stripe.requests.at(-1)!.form).not.toHaveProperty('subscription_data[trial_period_days]');
    });

    it('sends none after a paid subscription checkout whose webhook has not arrived', async () => {
      const user = randomUUID();
      const session = (await checkout(user).expect(200)).body.session_id as string;
      stripe.completeCheckout(keys.test, session);
      expect((await checkout(user).expect(400)).body).toEqual(ALREADY_SUBSCRIBED);
      await checkout(user, { allow_existing_subscription: true }).expect(200);
      expect(stripe.requests.at(-1)!.form).not.toHaveProperty('subscription_data[trial_period_days]');
    });

    it('sends none with a one-time payment, nor when the project sets 0', async () => {
      await checkout(randomUUID(), { price_id: prices.oneTime, mode: 'payment' }).expect(200);
      expect(Object.keys(stripe.requests.at(-1)!.form).some((name) => name.includes('trial'))).toBe(false);
      await setConfig({ trial_period_days: 0 });
      try {
        await checkout(randomUUID()).expect(200);
        expect(stripe.requests.at(-1)!.form).not.toHaveProperty('subscription_data[trial_period_days]');
      } finally {
        await setConfig({ trial_period_days: 14 });
      }
    });
  });

  describe("the project's allowed prices and origins (422)", () => {
    beforeAll(async () => {
      await setConfig({
        allowed_price_ids: [prices.monthly, prices.oneTime],
        allowed_return_url_origins: ['https://myapp.example.com'],
      });
    });

    afterAll(async () => {
      await setConfig({ allowed_price_ids: [], allowed_return_url_origins: [] });
    });

    it('accepts what the project allows', async () => {
      await checkout(randomUUID(), { price_id: prices.oneTime, mode: 'payment' }).expect(200);
    });

    it('refuses a price the project does not list, and both URLs outside its origins, in one answer', async () => {
      const user = randomUUID();
      const response = await checkout(user, {
        price_id: prices.yearly,
        success_url: 'https://evil.example/success',
        cancel_url: 'http://myapp.example.com/pricing',
      }).expect(422);
      expect(response.body).toEqual({
        detail: [
          valueError(['body', 'price_id'], "price_id is not among the project's allowed prices"),
          valueError(
            ['body', 'success_url'],
            "success_url's origin is not among the project's allowed return URL origins",
          ),
          valueError(
            ['body', 'cancel_url'],
            "cancel_url's origin is not among the project's allowed return URL origins",
          ),
        ],
      });
      expect(stripe.requests).toHaveLength(0);
      // The lease was released: the user's next checkout goes through at once.
      expect(await leftLeases()).toBe(0);
      await checkout(user).expect(200);
    });
  });

  describe('prices Stripe refuses (422, never 502)', () => {
    it.each([
      [
        'an unknown price',
        { price_id: 'price_doesNotExist' },
        "no such price in this project's Stripe test mode account",
      ],
      [
        'an inactive price',
        () => ({ price_id: prices.inactive }),
        'the price is inactive; only active prices can be bought',
      ],
      [
        'a one-time price in a subscription',
        () => ({ price_id: prices.oneTime }),
        "the price is a one-time price; mode 'subscription' needs a recurring price",
      ],
      [
        'a recurring price in a payment',
        () => ({ price_id: prices.monthly, mode: 'payment' }),
        "the price is recurring; mode 'payment' needs a one-time price (or use mode 'subscription')",
      ],
    ])('refuses %s at price_id', async (_name, overrides, reason) => {
      const user = randomUUID();
      const response = await checkout(user, typeof overrides === 'function' ? overrides() : overrides).expect(422);
      expect(response.body).toEqual({ detail: [valueError(['body', 'price_id'], reason)] });
      expect(await sessionRows(user)).toEqual([]);
      expect(await leftLeases()).toBe(0);
      // The customer stays the user's, for the next attempt.
      expect(await linkOf(user)).toBe(customersOf(user)[0].id);
    });

    it('refuses the price of the other mode as unknown in this one', async () => {
      const response = await checkout(randomUUID(), { price_id: prices.live }).expect(422);
      expect(response.body).toEqual({
        detail: [valueError(['body', 'price_id'], "no such price in this project's Stripe test mode account")],
      });
    });
  });

  describe('a customer deleted in Stripe', () => {
    it('is replaced once, in the same request, and the link swapped', async () => {
      const user = randomUUID();
      stripe.addDeletedCustomer(keys.test, 'cus_deletedInStripe');
      await projects.linkCustomer(project, user, 'test', 'cus_deletedInStripe');

      const response = await checkout(user).expect(200);

      expect(calls()).toEqual(['POST /v1/checkout/sessions', 'POST /v1/customers', 'POST /v1/checkout/sessions']);
      const [replacement] = customersOf(user);
      expect(replacement.metadata).toEqual({ project_id: project, user_id: user });
      expect(stripe.requests[2].form.customer).toBe(replacement.id);
      expect(stripe.requests[0].idempotencyKey).not.toBe(stripe.requests[2].idempotencyKey);
      expect(await linkOf(user)).toBe(replacement.id);
      expect(response.body.session_id).toBe(sessionsOf(user)[0].id);
    });

    it('swaps the link only while it still holds the deleted customer', async () => {
      const user = randomUUID();
      const repository = testApp.app.get(StripeCustomersRepository);
      await projects.linkCustomer(project, user, 'test', 'cus_alreadyReplaced');
      expect(await repository.replaceDeleted(project, user, 'test', 'cus_deletedBefore', 'cus_mine')).toBe(
        'cus_alreadyReplaced',
      );
      expect(await linkOf(user)).toBe('cus_alreadyReplaced');
      expect(await repository.replaceDeleted(project, user, 'test', 'cus_alreadyReplaced', 'cus_mine')).toBe(
        'cus_mine',
      );
    });

    it('lets a concurrent winner stand when linking a new customer', async () => {
      const user = randomUUID();
      const repository = testApp.app.get(StripeCustomersRepository);
      expect(await repository.linkCreated(project, user, 'test', 'cus_winner')).toBe('cus_winner');
      expect(await repository.linkCreated(project, user, 'test', 'cus_loser')).toBe('cus_winner');
      expect(await linkOf(user)).toBe('cus_winner');
    });
  });

  describe('concurrency', () => {
    it('10 concurrent first checkouts of one user: every answer 200, one Stripe customer, one open session', async () => {
      const user = randomUUID();
      const responses = await Promise.all(Array.from({ length: 10 }, () => checkout(user)));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(customersOf(user)).toHaveLength(1);
      expect(await linkOf(user)).toBe(customersOf(user)[0].id);
      const open = sessionsOf(user).filter((session) => session.status === 'open');
      expect(open).toHaveLength(1);
      expect(sessionsOf(user)).toHaveLength(10);
      const rows = await sessionRows(user);
      expect(rows.filter((row) => row.status === 'open').map((row) => row.stripeSessionId)).toEqual([open[0].id]);
      expect(rows.filter((row) => row.status === 'expired')).toHaveLength(9);
      expect(await leftLeases()).toBe(0);
    });

    it('a double click with the same Idempotency-Key makes one session and answers it twice', async () => {
      const user = randomUUID();
      const [first, second] = await Promise.all([0, 1].map(() => checkout(user).set('Idempotency-Key', 'click-1')));

      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body).toEqual(first.body);
      expect(calls()).toEqual(['POST /v1/customers', 'POST /v1/checkout/sessions']);
      expect(sessionsOf(user).map((session) => session.status)).toEqual(['open']);
      expect(JSON.stringify(stripe.requests.map((sent) => sent.idempotencyKey))).not.toContain('click-1');
    });

    it('a double click with different Idempotency-Keys leaves one open session, the later one', async () => {
      const user = randomUUID();
      const answers = await Promise.all(['a', 'b'].map((key) => checkout(user).set('Idempotency-Key', key)));

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers[0].body.session_id).not.toBe(answers[1].body.session_id);
      expect(customersOf(user)).toHaveLength(1);
      expect(sessionsOf(user).map((session) => session.status)).toEqual(['expired', 'open']);
      expect((await sessionRows(user)).map((row) => row.status)).toEqual(['expired', 'open']);
    });

    it('waits for a lease another process holds, and proceeds once it is released', async () => {
      const user = randomUUID();
      const key = `checkout:${project}:test:${user}`;
      await prisma.lease.create({ data: { key, holder: randomUUID(), expiresAt: new Date(Date.now() + 60_000) } });
      // A Prisma query runs only once awaited or then'd.
      setTimeout(() => void prisma.lease.deleteMany({ where: { key } }).then(() => undefined), 300);

      const started = Date.now();
      await checkout(user).expect(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('takes over a lease whose holder died (expired)', async () => {
      const user = randomUUID();
      const key = `checkout:${project}:test:${user}`;
      await prisma.lease.create({ data: { key, holder: randomUUID(), expiresAt: new Date(Date.now() - 1000) } });
      await checkout(user).expect(200);
      expect(await prisma.lease.count({ where: { key } })).toBe(0);
    });

    it('answers 503 with Retry-After when another checkout of the user holds the lease too long', async () => {
      const user = randomUUID();
      const key = `checkout:${project}:test:${user}`;
      await prisma.lease.create({ data: { key, holder: randomUUID(), expiresAt: new Date(Date.now() + 60_000) } });
      try {
        const started = Date.now();
        const response = await checkout(user).expect(503);
        expect(response.body).toEqual(BUSY);
        expect(response.headers['retry-after']).toBe('1');
        expect(Date.now() - started).toBeGreaterThanOrEqual(LEASE_WAIT_MS - 50);
        expect(stripe.requests).toHaveLength(0);
      } finally {
        await prisma.lease.deleteMany({ where: { key } });
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('answers the same session to a retry, without expiring it or calling Stripe', async () => {
      const user = randomUUID();
      const first = await checkout(user).set('Idempotency-Key', 'retry-1').expect(200);
      stripe.reset();
      const before = prisma.statementCount;
      const retry = await checkout(user).set('Idempotency-Key', 'retry-1').expect(200);

      expect(retry.body).toEqual(first.body);
      expect(retry.headers['cache-control']).toBe('no-store');
      expect(stripe.requests).toHaveLength(0);
      expect(prisma.statementCount - before).toBe(2);
      expect(stripe.checkoutSession(keys.test, first.body.session_id)?.status).toBe('open');
    });

    it('answers 409 when the key is reused with other parameters, changing nothing', async () => {
      const user = randomUUID();
      const first = await checkout(user).set('Idempotency-Key', 'reuse').expect(200);
      stripe.reset();
      for (const changed of [{ quantity: 2 }, { price_id: prices.yearly }, { metadata: { a: 1 } }]) {
        const response = await checkout(user, changed).set('Idempotency-Key', 'reuse').expect(409);
        expect(response.body).toEqual(KEY_REUSED);
      }
      expect(stripe.requests).toHaveLength(0);
      expect(stripe.checkoutSession(keys.test, first.body.session_id)?.status).toBe('open');
    });

    it('reads defaults as sent: leaving out mode and quantity is the same request as sending the defaults', async () => {
      const user = randomUUID();
      const first = await checkout(user).set('Idempotency-Key', 'defaults').expect(200);
      const same = await checkout(user, { mode: 'subscription', quantity: 1, allow_existing_subscription: false })
        .set('Idempotency-Key', 'defaults')
        .expect(200);
      expect(same.body).toEqual(first.body);
    });

    it('never answers one user the session of another, nor of the other mode, for the same key', async () => {
      const [alice, bob] = [randomUUID(), randomUUID()];
      const forAlice = await checkout(alice).set('Idempotency-Key', 'shared').expect(200);
      const forBob = await checkout(bob).set('Idempotency-Key', 'shared').expect(200);
      const live = await checkout(alice, { price_id: prices.live }, '?test_mode=false')
        .set('Idempotency-Key', 'shared')
        .expect(200);
      expect(new Set([forAlice.body.session_id, forBob.body.session_id, live.body.session_id]).size).toBe(3);
    });

    it('starts a new session when the key’s session is no longer the open one', async () => {
      const user = randomUUID();
      const first = await checkout(user).set('Idempotency-Key', 'k1').expect(200);
      await checkout(user).set('Idempotency-Key', 'k2').expect(200);
      const again = await checkout(user).set('Idempotency-Key', 'k1').expect(200);
      expect(again.body.session_id).not.toBe(first.body.session_id);
      expect(sessionsOf(user).map((session) => session.status)).toEqual(['expired', 'expired', 'open']);
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
        "The project's test mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to Checkout Sessions and Customers",
      ],
    ])('answers 502 for %j, naming what the developer must fix', async (failure, detail) => {
      stripe.failNext(failure);
      const response = await checkout(randomUUID()).expect(502);
      expect(response.body).toEqual({ detail });
      expect(response.text).not.toContain(keys.test.slice(-4));
      expect(await leftLeases()).toBe(0);
    });

    it.each([
      [
        { kind: 'rate-limit' as const, retryAfter: 7 },
        'Stripe is rate limiting requests for this project; try again shortly',
        '7',
      ],
      [{ kind: 'server-error' as const }, 'Stripe is temporarily unavailable; try again shortly', '5'],
    ])(
      'answers 503 with Retry-After for %j, and the next attempt goes through',
      async (failure, detail, retryAfter) => {
        const user = randomUUID();
        stripe.failNext(failure);
        const response = await checkout(user).expect(503);
        expect(response.body).toEqual({ detail });
        expect(response.headers['retry-after']).toBe(retryAfter);
        await checkout(user).expect(200);
        expect(customersOf(user)).toHaveLength(1);
      },
    );

    it('answers 503 within the time budget when Stripe is too slow', async () => {
      stripe.failNext({ kind: 'slow', delayMs: STRIPE_BUDGET_MS * 3 });
      const started = Date.now();
      const response = await checkout(randomUUID()).expect(503);
      expect(response.body).toEqual({
        detail: `Stripe did not answer within ${STRIPE_BUDGET_MS} ms; try again shortly`,
      });
      expect(response.headers['retry-after']).toBe('2');
      expect(Date.now() - started).toBeLessThan(STRIPE_BUDGET_MS + 1000);
    });

    it('keeps the open session open when expiring it fails', async () => {
      const user = randomUUID();
      const first = (await checkout(user).expect(200)).body.session_id as string;
      stripe.failNext({ kind: 'server-error' });
      await checkout(user).expect(503);
      expect(stripe.checkoutSession(keys.test, first)?.status).toBe('open');
      expect((await sessionRows(user)).map((row) => row.status)).toEqual(['open']);
    });

    it('records the expired session when creating the new one fails, and recovers on the next attempt', async () => {
      const user = randomUUID();
      const first = (await checkout(user).expect(200)).body.session_id as string;
      stripe.reset();
      // The expire goes through, the session creation fails.
      stripe.failNext({ kind: 'slow', delayMs: 0 }, { kind: 'server-error' });
      await checkout(user).expect(503);
      expect(calls()).toEqual(['POST /v1/checkout/sessions/cs_test_*/expire', 'POST /v1/checkout/sessions']);
      expect((await sessionRows(user)).map((row) => [row.stripeSessionId, row.status])).toEqual([[first, 'expired']]);
      await checkout(user).expect(200);
      expect(sessionsOf(user).map((session) => session.status)).toEqual(['expired', 'open']);
    });
  });

  describe('authentication and scope', () => {
    it('answers 401 without a token, before reading the body', async () => {
      const response = await post(undefined).send({}).expect(401);
      expect(response.body).toEqual({ detail: 'Could not validate credentials' });
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('answers 403 to a developer token (no project_id), before reading the body', async () => {
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
    const token = () => endUserToken(randomUUID(), project);

    it('refuses a missing body and a body that is not an object', async () => {
      await expect422(post(token()), [{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
      await expect422(post(token()).set('Content-Type', 'application/json').send('[]'), [
        {
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          type: 'model_attributes_type',
        },
      ]);
    });

    it('names every missing required field', async () => {
      await expect422(post(token()).send({}), [
        { loc: ['body', 'price_id'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'success_url'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'cancel_url'], msg: 'Field required', type: 'missing' },
      ]);
    });

    const longUrl = `https://myapp.example.com/${'a'.repeat(2048)}`;
    it.each([
      [{ price_id: 42 }, 'price_id', 'string_type', 'Input should be a valid string'],
      [{ price_id: '' }, 'price_id', 'string_too_short', 'String should have at least 1 character'],
      [{ price_id: 'p'.repeat(256) }, 'price_id', 'string_too_long', 'String should have at most 255 characters'],
      [{ price_id: 'price_1 ABC' }, 'price_id', 'value_error', 'Value error, price_id must not contain whitespace'],
      [
        { price_id: 'price_\u0000' },
        'price_id',
        'value_error',
        'Value error, text must not contain NUL characters or unpaired surrogates',
      ],
      [{ success_url: null }, 'success_url', 'string_type', 'Input should be a valid string'],
      [{ success_url: longUrl }, 'success_url', 'string_too_long', 'String should have at most 2048 characters'],
      [
        { success_url: 'javascript:alert(1)' },
        'success_url',
        'value_error',
        'Value error, success_url must be an absolute URL starting with http:// or https://',
      ],
      [
        { cancel_url: 'https://user:pw@myapp.example.com' },
        'cancel_url',
        'value_error',
        'Value error, cancel_url must not contain a username or password',
      ],
      [
        { cancel_url: 'https://myapp.example.com/a b' },
        'cancel_url',
        'value_error',
        'Value error, cancel_url must not contain whitespace, control characters or backslashes',
      ],
      [{ mode: 'setup' }, 'mode', 'string_pattern_mismatch', "String should match pattern '^(subscription|payment)$'"],
      [{ mode: null }, 'mode', 'string_type', 'Input should be a valid string'],
      [{ quantity: 0 }, 'quantity', 'greater_than_equal', 'Input should be greater than or equal to 1'],
      [{ quantity: 10001 }, 'quantity', 'less_than_equal', 'Input should be less than or equal to 10000'],
      [
        { quantity: 1.5 },
        'quantity',
        'int_from_float',
        'Input should be a valid integer, got a number with a fractional part',
      ],
      [{ quantity: '2' }, 'quantity', 'int_type', 'Input should be a valid integer'],
      [{ quantity: null }, 'quantity', 'int_type', 'Input should be a valid integer'],
      [
        { allow_existing_subscription: 'yes' },
        'allow_existing_subscription',
        'bool_type',
        'Input should be a valid boolean',
      ],
      [{ metadata: ['a'] }, 'metadata', 'dict_type', 'Input should be a valid dictionary'],
      [{ metadata: 'a=b' }, 'metadata', 'dict_type', 'Input should be a valid dictionary'],
      [
        { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`k${index}`, index])) },
        'metadata',
        'value_error',
        'Value error, metadata may have at most 20 keys',
      ],
      [
        { metadata: { ['k'.repeat(41)]: 'v' } },
        'metadata',
        'value_error',
        'Value error, metadata keys must be 1 to 40 characters',
      ],
      [{ metadata: { '': 'v' } }, 'metadata', 'value_error', 'Value error, metadata keys must be 1 to 40 characters'],
      [
        { metadata: { 'a[b]': 'v' } },
        'metadata',
        'value_error',
        'Value error, metadata keys must not contain square brackets',
      ],
      [
        { metadata: { project_id: 'mine' } },
        'metadata',
        'value_error',
        'Value error, metadata keys project_id and user_id are reserved for the service',
      ],
      [
        { metadata: { user_id: 'someone-else' } },
        'metadata',
        'value_error',
        'Value error, metadata keys project_id and user_id are reserved for the service',
      ],
      [
        { metadata: { nested: { a: 1 } } },
        'metadata',
        'value_error',
        'Value error, metadata values must be strings, numbers or booleans',
      ],
      [
        { metadata: { none: null } },
        'metadata',
        'value_error',
        'Value error, metadata values must be strings, numbers or booleans',
      ],
      [
        { metadata: { long: 'v'.repeat(501) } },
        'metadata',
        'value_error',
        'Value error, metadata values must be at most 500 characters',
      ],
      [
        { metadata: { lone: 'a\ud800' } },
        'metadata',
        'value_error',
        'Value error, metadata must not contain NUL characters or unpaired surrogates',
      ],
    ])('refuses %j', async (overrides, field, type, msg) => {
      await expect422(post(token()).send(body(overrides)), [{ loc: ['body', field], msg, type }]);
    });

    it('accepts the limits themselves', async () => {
      await post(token())
        .send(
          body({
            price_id: prices.monthly,
            quantity: 10000,
            metadata: {
              ...Object.fromEntries(Array.from({ length: 19 }, (_, index) => [`k${index}`, 'v'.repeat(500)])),
              ['k'.repeat(40)]: true,
            },
          }),
        )
        .expect(200);
    });

    it.each(['?test_mode=maybe', '?test_mode='])('refuses %s', async (query) => {
      await expect422(post(token(), query).send(body()), [
        {
          loc: ['query', 'test_mode'],
          msg: 'Input should be a valid boolean, unable to interpret input',
          type: 'bool_parsing',
        },
      ]);
    });

    it('refuses an Idempotency-Key over 255 characters', async () => {
      await expect422(post(token()).set('Idempotency-Key', 'k'.repeat(256)).send(body()), [
        {
          loc: ['header', 'idempotency-key'],
          msg: 'String should have at most 255 characters',
          type: 'string_too_long',
        },
      ]);
    });

    it('validates before looking up the project', async () => {
      await expect422(post(endUserToken(randomUUID(), randomUUID())).send(body({ quantity: 0 })), [
        { loc: ['body', 'quantity'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' },
      ]);
    });
  });

  describe('project not configured (404)', () => {
    it.each([
      ['the project does not exist', () => randomUUID(), ''],
      ['its configuration is inactive', () => projectInactive, ''],
      ['it has no configuration', () => projectUnconfigured, ''],
      ['it has no key for live mode', () => projectOnlyTest, '?test_mode=false'],
    ])('answers 404 when %s, taking no lease', async (_name, projectId, query) => {
      const id = projectId();
      const response = await post(endUserToken(randomUUID(), id), query).send(body()).expect(404);
      expect(response.body).toEqual(NOT_CONFIGURED);
      expect(stripe.requests).toHaveLength(0);
      expect(await leftLeases(id)).toBe(0);
    });
  });

  describe('OpenAPI document', () => {
    it('documents the operation, its parameters, and every status with a schema and an example', async () => {
      const { body: document } = await request(server()).get('/openapi.json').expect(200);
      const operation = document.paths[PATH].post;

      expect(operation.operationId).toBe('createCheckoutSession');
      expect(operation.summary).toBe('Create Checkout Session');
      expect(operation.tags).toEqual(['Stripe Checkout']);
      expect(operation.security).toEqual([{ HTTPBearer: [] }]);
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
      const schema = document.components.schemas.CheckoutSessionRequest;
      expect(schema.required).toEqual(['price_id', 'success_url', 'cancel_url']);
      expect(schema.properties.mode).toMatchObject({ pattern: '^(subscription|payment)$', default: 'subscription' });
      expect(schema.properties.quantity).toMatchObject({ type: 'integer', minimum: 1, maximum: 10000, default: 1 });
      expect(document.components.schemas.CheckoutSessionResponse.required).toEqual(['session_id', 'checkout_url']);
      expect(Object.keys(operation.responses).sort()).toEqual(
        ['200', '400', '401', '403', '404', '409', '413', '415', '422', '429', '502', '503'].sort(),
      );
      for (const [status, response] of Object.entries<{
        content: Record<string, { schema: unknown; example?: unknown; examples?: unknown }>;
      }>(operation.responses)) {
        const json = response.content['application/json'];
        expect({ status, schema: Boolean(json.schema) }).toEqual({ status, schema: true });
        if (status !== '200')
          expect({ status, example: Boolean(json.example ?? json.examples) }).toEqual({ status, example: true });
      }
    });

    it('serves exactly the committed openapi.json', async () => {
      const { body: served } = await request(server()).get('/openapi.json').expect(200);
      const committed: unknown = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
      expect(served).toEqual(committed);
    });
  });
});

describe('POST /api/v1/payments/stripe/checkout-session: check order', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  const project = randomUUID();
  const key = 'sk_test_CHECKOUTORDERxxxxxxxxxxxx';

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stripe.start(),
      RATE_LIMIT_USER_PER_MINUTE: '2',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: project, name: 'order', ownerId: randomUUID() });
    await projects.setModeCredentials(project, 'test', { secretKey: key });
    stripe.addAccount(key, []);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  it('answers 401, then 403, then 429, then 422, then 404', async () => {
    const post = (token?: string) => {
      const call = request(testApp.app.getHttpServer()).post(PATH);
      return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
    };
    const invalid = { price_id: '', success_url: SUCCESS_URL, cancel_url: CANCEL_URL };
    const valid = { price_id: 'price_x', success_url: SUCCESS_URL, cancel_url: CANCEL_URL };
    const unknownProjectUser = endUserToken(randomUUID(), randomUUID());

    expect((await post().send(invalid)).status).toBe(401);
    expect((await post(accessToken({ sub: randomUUID() })).send(invalid)).status).toBe(403);
    // An unknown project with a bad body: the body is judged first.
    expect((await post(unknownProjectUser).send(invalid)).status).toBe(422);
    expect((await post(unknownProjectUser).send(valid)).status).toBe(404);
    // The user's third request in the minute: limited before the body is read.
    const limited = await post(unknownProjectUser).send(invalid);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      detail: expect.stringMatching(/^Rate limit exceeded/),
      retry_after: expect.any(Number),
    });
    expect(stripe.requests).toHaveLength(0);
  });
});
