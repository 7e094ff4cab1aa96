import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { SubscriptionsRepository } from '#libs/billing-records';
import { PrismaService } from '#libs/database';
import { OPERATOR, StripeConfigService } from '#libs/projects';
import { fixtures, type Fixtures } from './support/fixtures.js';
import { StripeStub, type RecordedRequest } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * An end user manages their own subscription over HTTP: GET .../my-subscription (one round trip, no Stripe call,
 * is_entitled with the project's grace days), cancel at period end or at once, reactivate, change plan and preview
 * the change. Subscriptions are made as users make them (checkout, the stub's payment, signed events); every change
 * is checked in Stripe (the stub), in the local record, and against the webhook that follows it.
 */

const BASE = '/api/v1/payments/stripe';
const KEY = 'sk_test_MANAGEaaaaaaaaaaaaaaaaaaaa';
const LIVE_KEY = 'sk_live_MANAGElllllllllllllllllll';
const OTHER_KEY = 'sk_test_MANAGEooooooooooooooooooo';
const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const OTHER_SECRET = `whsec_${randomBytes(16).toString('hex')}`;

const NOT_CONFIGURED = { detail: 'Project not found or Stripe not configured' };
const NONE_TO_CANCEL = { detail: 'No active subscription to cancel' };
const NONE_TO_UPDATE = { detail: 'No active subscription to update' };
const NOTHING_SCHEDULED = { detail: 'No cancellation scheduled to undo' };
const AT_PERIOD_END = 'Subscription will be canceled at the end of the current billing period.';
const IMMEDIATELY = 'Subscription has been canceled immediately.';
const UPDATED = 'Subscription updated to new plan successfully.';
const REACTIVATED = 'Subscription reactivated; it will renew at the end of the current billing period.';
const KEY_REUSED = {
  detail: 'Idempotency-Key was already used with different request parameters; use a new key for a new request',
};
const UNAUTHENTICATED = { detail: 'Could not validate credentials' };
const NOT_END_USER = {
  detail: 'This endpoint requires an end-user access token with project scope (project_id claim)',
};

const iso = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? null : new Date(seconds * 1000).toISOString();

describe('managing my subscription', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  let prisma: PrismaService;
  let projects: Fixtures;
  const developer = randomUUID();
  const project = randomUUID();
  const otherProject = randomUUID();
  const unconfigured = randomUUID();
  const prices = { monthly: '', premium: '', yearly: '', inactive: '', oneTime: '', euro: '', other: '' };

  const server = () => testApp.app.getHttpServer();
  const as = (userId: string, projectId: string = project) => ({
    get: (path: string, query = '') =>
      request(server())
        .get(`${BASE}/${path}${query}`)
        .set('Authorization', `Bearer ${endUserToken(userId, projectId)}`),
    post: (path: string, body: object = {}, query = '', idempotencyKey?: string) => {
      const call = request(server())
        .post(`${BASE}/${path}${query}`)
        .set('Authorization', `Bearer ${endUserToken(userId, projectId)}`);
      return (idempotencyKey === undefined ? call : call.set('Idempotency-Key', idempotencyKey)).send(body);
    },
  });
  const mySubscription = async (userId: string, projectId: string = project) =>
    (await as(userId, projectId).get('my-subscription').expect(200)).body as Record<string, unknown> | null;
  const deliver = (events: Stripe.Event[], projectId: string = project, secret = SECRET) =>
    deliverSignedEvents(server(), stub, { projectId, secret }, events);
  /** A user subscribes as users do: checkout, the stub's payment, the signed events; returns Stripe's id. */
  const subscribe = async (
    userId: string,
    options: { price?: string; quantity?: number; projectId?: string; key?: string; secret?: string } = {},
  ) => {
    const { projectId = project, key = KEY, secret = SECRET } = options;
    const response = await as(userId, projectId)
      .post('checkout-session', {
        price_id: options.price ?? prices.monthly,
        quantity: options.quantity ?? 1,
        success_url: 'https://app.example.com/done',
        cancel_url: 'https://app.example.com/pricing',
      })
      .expect(200);
    const sessionId = response.body.session_id as string;
    await deliver(stub.completeCheckout(key, sessionId), projectId, secret);
    return stub.checkoutSession(key, sessionId)!.subscription as string;
  };
  const recordOf = (stripeSubscriptionId: string) =>
    prisma.subscription.findFirstOrThrow({ where: { stripeSubscriptionId } });
  const calls = (sent: RecordedRequest[] = stub.requests) => sent.map((call) => `${call.method} ${call.path}`);
  const setConfig = (patch: Parameters<StripeConfigService['update']>[2]) =>
    testApp.app.get(StripeConfigService).update(project, OPERATOR, patch);

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    prisma = testApp.app.get(PrismaService);
    projects = fixtures(testApp.app);
    await projects.createProject({ id: project, name: 'manage', ownerId: developer });
    await projects.createProject({ id: otherProject, name: 'other', ownerId: randomUUID() });
    await projects.createProject({ id: unconfigured, name: 'unconfigured', ownerId: developer });
    await projects.setModeCredentials(project, 'test', { secretKey: KEY, webhookSecret: SECRET });
    await projects.setModeCredentials(project, 'live', { secretKey: LIVE_KEY });
    await projects.setModeCredentials(otherProject, 'test', { secretKey: OTHER_KEY, webhookSecret: OTHER_SECRET });
    stub.addAccount(KEY, []);
    stub.addAccount(LIVE_KEY, []);
    stub.addAccount(OTHER_KEY, []);
    const month = { interval: 'month' } as const;
    prices.monthly = stub.addPrice(KEY, { unitAmount: 2000, recurring: month, productName: 'Pro' });
    prices.premium = stub.addPrice(KEY, { unitAmount: 5000, recurring: month, productName: 'Premium' });
    prices.yearly = stub.addPrice(KEY, { unitAmount: 20000, recurring: { interval: 'year' }, nickname: 'Pro yearly' });
    prices.inactive = stub.addPrice(KEY, { unitAmount: 1000, recurring: month, active: false });
    prices.oneTime = stub.addPrice(KEY, { unitAmount: 9900, productName: 'Lifetime' });
    prices.euro = stub.addPrice(KEY, { unitAmount: 1800, currency: 'eur', recurring: month });
    prices.other = stub.addPrice(OTHER_KEY, { unitAmount: 2000, recurring: month, productName: 'Other' });
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  describe('GET .../my-subscription', () => {
    const alice = randomUUID();
    let aliceSubscription: string;

    beforeAll(async () => {
      aliceSubscription = await subscribe(alice, { quantity: 2 });
    });

    it('answers a JSON null, not cacheable, to a user without a subscription', async () => {
      const response = await as(randomUUID()).get('my-subscription').expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.text).toBe('null');
    });

    it('answers the subscription from the local record: one SQL round trip, no Stripe call', async () => {
      await mySubscription(alice); // warm-up: the first request prepares the statement
      const statements = prisma.statementCount;
      const stripeRequests = stub.requestCount;
      const response = await as(alice).get('my-subscription', '?test_mode=true').expect(200);
      expect(prisma.statementCount - statements).toBe(1);
      expect(stub.requestCount).toBe(stripeRequests);
      expect(response.headers['cache-control']).toBe('no-store');

      const record = await recordOf(aliceSubscription);
      const inStripe = stub.subscription(KEY, aliceSubscription)!;
      expect(response.body).toEqual({
        id: record.id,
        project_id: project,
        user_id: alice,
        is_test_mode: true,
        subscription_id: aliceSubscription,
        customer_id: inStripe.customer,
        status: 'active',
        plan_name: 'Pro',
        quantity: 2,
        current_period_start: iso(inStripe.items.data[0].current_period_start),
        current_period_end: iso(inStripe.items.data[0].current_period_end),
        cancel_at: null,
        cancelled_at: null,
        created_at: iso(inStripe.created),
        price_id: prices.monthly,
        cancel_at_period_end: false,
        is_entitled: true,
      });
    });

    it('is the newest subscription that has not ended', async () => {
      const user = randomUUID();
      const customer = `cus_${randomUUID().slice(0, 8)}`;
      const add = (status: string, daysAgo: number) =>
        prisma.subscription.create({
          data: {
            projectId: project,
            mode: 'test',
            userId: user,
            stripeSubscriptionId: `sub_${randomUUID().replace(/-/g, '')}`,
            stripeCustomerId: customer,
            status,
            quantity: 1,
            createdAt: new Date(Date.now() - daysAgo * 86_400_000),
            fetchedAt: new Date(),
          },
        });
      await add('active', 30);
      const current = await add('paused', 20);
      await add('canceled', 10);
      await add('incomplete_expired', 5);
      await add('incomplete', 1);
      expect(await mySubscription(user)).toMatchObject({ id: current.id, status: 'paused', is_entitled: false });
    });

    it("shows nobody else's: another user, the other mode, another project", async () => {
      expect(await mySubscription(randomUUID())).toBeNull();
      expect((await as(alice).get('my-subscription', '?test_mode=false').expect(200)).body).toBeNull();
      expect(await mySubscription(alice, otherProject)).toBeNull();
      expect(await mySubscription(alice, unconfigured)).toBeNull();
    });

    it('answers 401 without a valid token, 403 to a developer token and 422 to a bad test_mode', async () => {
      expect((await request(server()).get(`${BASE}/my-subscription`).expect(401)).body).toEqual(UNAUTHENTICATED);
      const developerCall = await request(server())
        .get(`${BASE}/my-subscription`)
        .set('Authorization', `Bearer ${accessToken({ sub: developer })}`)
        .expect(403);
      expect(developerCall.body).toEqual(NOT_END_USER);
      expect((await as(alice).get('my-subscription', '?test_mode=maybe').expect(422)).body).toEqual({
        detail: [
          {
            loc: ['query', 'test_mode'],
            msg: 'Input should be a valid boolean, unable to interpret input',
            type: 'bool_parsing',
          },
        ],
      });
    });
  });

  describe('is_entitled and past_due_grace_days', () => {
    const configPath = `${BASE}/projects/${project}/config`;
    const asDeveloper = () => ({
      get: (path: string) =>
        request(server())
          .get(path)
          .set('Authorization', `Bearer ${accessToken({ sub: developer })}`),
      put: (body: object) =>
        request(server())
          .put(configPath)
          .set('Authorization', `Bearer ${accessToken({ sub: developer })}`)
          .send(body),
    });
    const userIn = async (status: string, pastDueDaysAgo: number | null) => {
      const user = randomUUID();
      await prisma.subscription.create({
        data: {
          projectId: project,
          mode: 'test',
          userId: user,
          stripeSubscriptionId: `sub_${randomUUID().replace(/-/g, '')}`,
          stripeCustomerId: `cus_${randomUUID().slice(0, 8)}`,
          status,
          quantity: 1,
          pastDueSince: pastDueDaysAgo === null ? null : new Date(Date.now() - pastDueDaysAgo * 86_400_000),
          createdAt: new Date(),
          fetchedAt: new Date(),
        },
      });
      return user;
    };
    const entitled = async (user: string) => (await mySubscription(user))!.is_entitled;

    afterAll(async () => {
      await setConfig({ past_due_grace_days: 0 });
    });

    it('is set and read through the configuration API, recorded in its history, 0 by default', async () => {
      expect((await asDeveloper().get(configPath).expect(200)).body.past_due_grace_days).toBe(0);
      expect((await asDeveloper().put({ past_due_grace_days: 3 }).expect(200)).body.past_due_grace_days).toBe(3);
      const history = await asDeveloper().get(`${configPath}/history`).expect(200);
      expect(history.body.changes[0]).toMatchObject({ action: 'update', fields: ['past_due_grace_days'] });
      // null keeps the value, as for the other fields but trial_period_days.
      expect((await asDeveloper().put({ past_due_grace_days: null }).expect(200)).body.past_due_grace_days).toBe(3);
    });

    it.each([
      [-1, 'greater_than_equal', 'Input should be greater than or equal to 0'],
      [366, 'less_than_equal', 'Input should be less than or equal to 365'],
      [1.5, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part'],
      ['3', 'int_type', 'Input should be a valid integer'],
    ])('refuses past_due_grace_days %p with 422', async (value, type, msg) => {
      const response = await asDeveloper().put({ past_due_grace_days: value }).expect(422);
      expect(response.body).toEqual({ detail: [{ loc: ['body', 'past_due_grace_days'], msg, type }] });
    });

    it('grants active and trialing; past_due only within the grace days from past_due_since; nothing else', async () => {
      await setConfig({ past_due_grace_days: 3 });
      expect(await entitled(await userIn('active', null))).toBe(true);
      expect(await entitled(await userIn('trialing', null))).toBe(true);
      const recent = await userIn('past_due', 2);
      const old = await userIn('past_due', 4);
      expect(await entitled(recent)).toBe(true);
      expect(await entitled(old)).toBe(false);
      expect(await entitled(await userIn('unpaid', 1))).toBe(false);
      expect(await entitled(await userIn('paused', null))).toBe(false);

      await setConfig({ past_due_grace_days: 0 });
      expect(await entitled(recent)).toBe(false);
    });

    it("counts a past_due first seen late (a delayed webhook, a sync) from its period's start, not from the sighting", async () => {
      await setConfig({ past_due_grace_days: 3 });
      const user = randomUUID();
      const customer = `cus_${randomUUID().slice(0, 12).replace(/-/g, '')}`;
      await projects.linkCustomer(project, user, 'test', customer);
      const periodStart = new Date(Date.now() - 5 * 86_400_000);
      const id = `sub_${randomUUID().replace(/-/g, '')}`;
      await testApp.app.get(SubscriptionsRepository).record(project, 'test', {
        stripeSubscriptionId: id,
        stripeCustomerId: customer,
        status: 'past_due',
        priceId: prices.monthly,
        planName: 'Pro',
        quantity: 1,
        currentPeriodStart: periodStart,
        currentPeriodEnd: new Date(periodStart.getTime() + 30 * 86_400_000),
        cancelAt: null,
        cancelAtPeriodEnd: false,
        canceledAt: null,
        trialEnd: null,
        endedAt: null,
        createdAt: new Date(periodStart.getTime() - 30 * 86_400_000),
        fetchedAt: new Date(),
      });
      expect((await recordOf(id)).pastDueSince).toEqual(periodStart);
      // Five days into a three-day grace: no access, although this service saw it only now.
      expect(await mySubscription(user)).toMatchObject({ subscription_id: id, status: 'past_due', is_entitled: false });
    });

    it('counts from when the renewal failed, as the webhooks record it', async () => {
      await setConfig({ past_due_grace_days: 1 });
      const user = randomUUID();
      const id = await subscribe(user);
      await deliver(stub.renewSubscription(KEY, id, { payment: 'fails' }));
      expect(await mySubscription(user)).toMatchObject({ status: 'past_due', is_entitled: true });
      await prisma.subscription.update({
        where: { id: (await recordOf(id)).id },
        data: { pastDueSince: new Date(Date.now() - 25 * 3_600_000) },
      });
      expect(await mySubscription(user)).toMatchObject({ status: 'past_due', is_entitled: false });
    });
  });

  describe('POST .../cancel-subscription', () => {
    it.each([
      ['cancel-subscription', { cancel_immediately: false }, NONE_TO_CANCEL],
      ['cancel-subscription', { cancel_immediately: true }, NONE_TO_CANCEL],
    ])(
      '%s %j of a subscription Stripe already ended (its webhook still on the way): 404, and the record follows Stripe',
      async (path, body, answer) => {
        const user = randomUUID();
        const id = await subscribe(user);
        stub.cancelSubscription(KEY, id);
        expect(await mySubscription(user)).toMatchObject({ subscription_id: id, status: 'active' });
        expect((await as(user).post(path, body).expect(404)).body).toEqual(answer);
        expect(await mySubscription(user)).toBeNull();
        expect(await recordOf(id)).toMatchObject({ status: 'canceled' });
      },
    );

    it('cancels at period end through Stripe and records it; asking again answers the same', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      stub.reset();

      const response = await as(user).post('cancel-subscription', {}).expect(200);
      const inStripe = stub.subscription(KEY, id)!;
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        subscription_id: id,
        status: 'active',
        cancel_at: iso(inStripe.items.data[0].current_period_end),
        cancelled_at: iso(inStripe.canceled_at),
        message: AT_PERIOD_END,
      });
      expect(calls()).toEqual([`POST /v1/subscriptions/${id}`]);
      expect(stub.requests[0].form).toEqual({
        cancel_at_period_end: 'true',
        'expand[0]': 'items.data.price.product',
      });
      expect(inStripe).toMatchObject({ cancel_at_period_end: true, status: 'active' });
      // Recorded before the answer: the user sees it at once.
      expect(await mySubscription(user)).toMatchObject({
        status: 'active',
        cancel_at_period_end: true,
        cancel_at: response.body.cancel_at,
        cancelled_at: response.body.cancelled_at,
        is_entitled: true,
      });

      const again = await as(user).post('cancel-subscription', { cancel_immediately: false }).expect(200);
      expect(again.body).toEqual(response.body);
    });

    it('cancels at once; the subscription is no longer the current one', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      stub.reset();

      const response = await as(user).post('cancel-subscription', { cancel_immediately: true }).expect(200);
      const inStripe = stub.subscription(KEY, id)!;
      expect(inStripe.status).toBe('canceled');
      expect(response.body).toEqual({
        subscription_id: id,
        status: 'canceled',
        cancel_at: null,
        cancelled_at: iso(inStripe.canceled_at),
        message: IMMEDIATELY,
      });
      expect(calls()).toEqual([`DELETE /v1/subscriptions/${id}?expand[0]=items.data.price.product`]);
      expect(await recordOf(id)).toMatchObject({ status: 'canceled', endedAt: new Date(inStripe.ended_at! * 1000) });
      expect(await mySubscription(user)).toBeNull();
      expect((await as(user).post('cancel-subscription', { cancel_immediately: true }).expect(404)).body).toEqual(
        NONE_TO_CANCEL,
      );
    });

    it('leaves nothing for the webhook that follows to change', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      stub.takeApiEvents(KEY);

      await as(user).post('cancel-subscription', {}).expect(200);
      const scheduled = await mySubscription(user);
      const { fetchedAt: _at, updatedAt: _updated, ...recorded } = await recordOf(id);
      const events = stub.takeApiEvents(KEY);
      expect(events.map((event) => event.type)).toEqual(['customer.subscription.updated']);
      await deliver(events);
      const { fetchedAt: _at2, updatedAt: _updated2, ...afterWebhook } = await recordOf(id);
      expect(afterWebhook).toEqual(recorded);
      expect(await mySubscription(user)).toEqual(scheduled);

      await as(user).post('cancel-subscription', { cancel_immediately: true }).expect(200);
      const { fetchedAt: _at3, updatedAt: _updated3, ...canceled } = await recordOf(id);
      const deleted = stub.takeApiEvents(KEY);
      expect(deleted.map((event) => event.type)).toEqual(['customer.subscription.deleted']);
      await deliver(deleted);
      const { fetchedAt: _at4, updatedAt: _updated4, ...afterDeleted } = await recordOf(id);
      expect(afterDeleted).toEqual(canceled);
      // An event delivered late (the first one, again) writes no older state over it either.
      await deliver(events.map((event) => ({ ...event, id: `${event.id}late` })));
      expect((await recordOf(id)).status).toBe('canceled');
    });

    it('answers 404 without a current subscription, after 404 for a project without Stripe', async () => {
      expect((await as(randomUUID()).post('cancel-subscription', {}).expect(404)).body).toEqual(NONE_TO_CANCEL);
      expect((await as(randomUUID(), unconfigured).post('cancel-subscription', {}).expect(404)).body).toEqual(
        NOT_CONFIGURED,
      );
    });

    it('answers 404 when Stripe says it has already ended (its webhook still on the way)', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      stub.cancelSubscription(KEY, id);
      expect((await as(user).post('cancel-subscription', {}).expect(404)).body).toEqual(NONE_TO_CANCEL);
    });
  });

  describe('POST .../reactivate-subscription (extension)', () => {
    it('undoes a cancellation scheduled at period end; then there is nothing to undo', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      expect((await as(user).post('reactivate-subscription').expect(404)).body).toEqual(NOTHING_SCHEDULED);
      await as(user).post('cancel-subscription', {}).expect(200);
      stub.reset();

      const response = await as(user).post('reactivate-subscription').expect(200);
      const inStripe = stub.subscription(KEY, id)!;
      expect(response.body).toEqual({
        subscription_id: id,
        status: 'active',
        current_period_end: iso(inStripe.items.data[0].current_period_end),
        message: REACTIVATED,
      });
      expect(stub.requests.map((call) => [call.method, call.path, call.form])).toEqual([
        ['POST', `/v1/subscriptions/${id}`, { cancel_at_period_end: 'false', 'expand[0]': 'items.data.price.product' }],
      ]);
      expect(inStripe).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });
      expect(await mySubscription(user)).toMatchObject({
        cancel_at_period_end: false,
        cancel_at: null,
        cancelled_at: null,
      });
      expect((await as(user).post('reactivate-subscription').expect(404)).body).toEqual(NOTHING_SCHEDULED);
      expect((await as(randomUUID()).post('reactivate-subscription').expect(404)).body).toEqual(NOTHING_SCHEDULED);
    });

    it('undoes a cancellation scheduled on a date (cancel_at, as the Dashboard sets one) by clearing the date', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      const endsAt = Math.floor(Date.now() / 1000) + 10 * 86_400;
      await deliver(stub.updateSubscription(KEY, id, { cancel_at: endsAt }));
      expect(await mySubscription(user)).toMatchObject({ cancel_at_period_end: false, cancel_at: iso(endsAt) });
      stub.reset();

      await as(user).post('reactivate-subscription').expect(200);
      expect(stub.requests.map((call) => [call.method, call.path, call.form])).toEqual([
        ['POST', `/v1/subscriptions/${id}`, { cancel_at: '', 'expand[0]': 'items.data.price.product' }],
      ]);
      expect(stub.subscription(KEY, id)).toMatchObject({ cancel_at: null, canceled_at: null });
      expect(await mySubscription(user)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
      expect((await as(user).post('reactivate-subscription').expect(404)).body).toEqual(NOTHING_SCHEDULED);
    });
  });

  describe('POST .../update-subscription', () => {
    it("moves the item to the new price, keeping its quantity, and records Stripe's answer", async () => {
      const user = randomUUID();
      const id = await subscribe(user, { quantity: 3 });
      const itemId = stub.subscription(KEY, id)!.items.data[0].id;
      stub.reset();

      const response = await as(user)
        .post('update-subscription', { new_price_id: prices.premium, proration_behavior: 'none' })
        .expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        subscription_id: id,
        status: 'active',
        price_id: prices.premium,
        message: UPDATED,
      });
      expect(calls()).toEqual([
        `GET /v1/subscriptions/${id}?expand[0]=items.data.price.product`,
        `GET /v1/prices/${prices.premium}`,
        `POST /v1/subscriptions/${id}`,
      ]);
      expect(stub.requests[2].form).toEqual({
        'items[0][id]': itemId,
        'items[0][price]': prices.premium,
        'items[0][quantity]': '3',
        proration_behavior: 'none',
        'expand[0]': 'items.data.price.product',
      });
      const item = stub.subscription(KEY, id)!.items.data;
      expect(item.map((each) => [each.id, each.price.id, each.quantity])).toEqual([[itemId, prices.premium, 3]]);
      expect(await mySubscription(user)).toMatchObject({ price_id: prices.premium, plan_name: 'Premium', quantity: 3 });

      // The default proration; the nickname names the plan.
      await as(user).post('update-subscription', { new_price_id: prices.yearly }).expect(200);
      expect(stub.requests.at(-1)!.form.proration_behavior).toBe('create_prorations');
      expect(await mySubscription(user)).toMatchObject({ price_id: prices.yearly, plan_name: 'Pro yearly' });
    });

    it('refuses each price rule with its own 400, changing nothing', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      const refused = async (newPriceId: string, detail: string) => {
        const response = await as(user).post('update-subscription', { new_price_id: newPriceId }).expect(400);
        expect(response.body).toEqual({ detail });
      };
      stub.reset();
      await refused(prices.monthly, "new_price_id is already the subscription's price");
      await refused('price_doesNotExist', "new_price_id: no such price in this project's Stripe test mode account");
      await refused(prices.inactive, 'new_price_id: the price is inactive; only active prices can be subscribed to');
      await refused(
        prices.oneTime,
        'new_price_id: the price is a one-time price; a subscription needs a recurring price',
      );
      await refused(prices.euro, 'new_price_id: the price is in EUR; the subscription is billed in USD');
      await refused(prices.other, "new_price_id: no such price in this project's Stripe test mode account");
      expect(calls().filter((call) => call.startsWith('POST'))).toEqual([]);

      await setConfig({ allowed_price_ids: [prices.monthly, prices.yearly] });
      try {
        stub.reset();
        await refused(prices.premium, "new_price_id is not among the project's allowed prices");
        // Refused by the project's list alone: Stripe is not asked.
        expect(stub.requests).toEqual([]);
        await as(user).post('update-subscription', { new_price_id: prices.yearly }).expect(200);
      } finally {
        await setConfig({ allowed_price_ids: [] });
      }
      expect(stub.subscription(KEY, id)!.items.data.map((item) => item.price.id)).toEqual([prices.yearly]);
    });

    it('answers 404 without a current subscription, and when Stripe says it has ended (recording that)', async () => {
      expect(
        (await as(randomUUID()).post('update-subscription', { new_price_id: prices.premium }).expect(404)).body,
      ).toEqual(NONE_TO_UPDATE);
      expect(
        (await as(randomUUID(), unconfigured).post('update-subscription', { new_price_id: prices.premium }).expect(404))
          .body,
      ).toEqual(NOT_CONFIGURED);

      const user = randomUUID();
      const id = await subscribe(user);
      stub.cancelSubscription(KEY, id); // the customer.subscription.deleted event is never delivered
      const response = await as(user).post('update-subscription', { new_price_id: prices.premium }).expect(404);
      expect(response.body).toEqual(NONE_TO_UPDATE);
      expect((await recordOf(id)).status).toBe('canceled');
      expect(await mySubscription(user)).toBeNull();
    });

    it.each([
      [{}, ['body', 'new_price_id'], 'missing', 'Field required'],
      [{ new_price_id: '' }, ['body', 'new_price_id'], 'string_too_short', 'String should have at least 1 character'],
      [{ new_price_id: 42 }, ['body', 'new_price_id'], 'string_type', 'Input should be a valid string'],
      [
        { new_price_id: 'price_1', proration_behavior: 'sometimes' },
        ['body', 'proration_behavior'],
        'string_pattern_mismatch',
        "String should match pattern '^(create_prorations|none|always_invoice)$'",
      ],
    ])('answers 422 to the body %j', async (body, loc, type, msg) => {
      const response = await as(randomUUID()).post('update-subscription', body).expect(422);
      expect(response.body).toEqual({ detail: [expect.objectContaining({ loc, type, msg })] });
    });
  });

  describe('POST .../update-subscription/preview (extension)', () => {
    let user: string;
    let id: string;

    beforeAll(async () => {
      user = randomUUID();
      id = await subscribe(user);
    });

    it.each([
      ['create_prorations', { amount_due_now: 0, next_invoice_amount: 8000, proration_total: 3000 }],
      ['always_invoice', { amount_due_now: 3000, next_invoice_amount: 5000, proration_total: 3000 }],
      ['none', { amount_due_now: 0, next_invoice_amount: 5000, proration_total: 0 }],
    ])('previews %s from Stripe, changing nothing', async (behavior, amounts) => {
      const before = await recordOf(id);
      stub.reset();
      const response = await as(user)
        .post('update-subscription/preview', { new_price_id: prices.premium, proration_behavior: behavior })
        .expect(200);
      // Just after the period began: the whole 20.00 is credited and 50.00 charged for the period.
      expect(response.body).toEqual({ ...amounts, currency: 'usd' });
      // always_invoice previews the invoice made now; the next regular one is Stripe's preview without prorations.
      const previews = stub.requests.filter((call) => call.path === '/v1/invoices/create_preview');
      const behaviors = behavior === 'always_invoice' ? ['always_invoice', 'none'] : [behavior];
      expect(previews.map((call) => call.form)).toEqual(
        behaviors.map((sent) => ({
          customer: stub.subscription(KEY, id)!.customer,
          subscription: id,
          'subscription_details[items][0][id]': stub.subscription(KEY, id)!.items.data[0].id,
          'subscription_details[items][0][price]': prices.premium,
          'subscription_details[items][0][quantity]': '1',
          'subscription_details[proration_behavior]': sent,
        })),
      );
      expect(stub.subscription(KEY, id)!.items.data[0].price.id).toBe(prices.monthly);
      expect(await recordOf(id)).toEqual(before);
    });

    it('applies the same checks as the change itself', async () => {
      const response = await as(user).post('update-subscription/preview', { new_price_id: prices.monthly }).expect(400);
      expect(response.body).toEqual({ detail: "new_price_id is already the subscription's price" });
      const none = await as(randomUUID()).post('update-subscription/preview', { new_price_id: prices.premium });
      expect([none.status, none.body]).toEqual([404, NONE_TO_UPDATE]);
    });
  });

  describe('Idempotency-Key', () => {
    it('is sent to Stripe scoped to the operation, user and mode; a retry gets the first answer, no second call', async () => {
      const user = randomUUID();
      const other = randomUUID();
      const id = await subscribe(user);
      await subscribe(other);
      stub.reset();

      const first = await as(user).post('cancel-subscription', {}, '', 'retry-1').expect(200);
      const retry = await as(user).post('cancel-subscription', {}, '', 'retry-1').expect(200);
      expect(retry.body).toEqual(first.body);
      await as(other).post('cancel-subscription', {}, '', 'retry-1').expect(200);
      await as(user).post('reactivate-subscription', {}, '', 'retry-1').expect(200);
      const keys = stub.requests.map((call) => call.idempotencyKey);
      expect(keys).toHaveLength(3);
      expect(keys.every((key) => /^subscription-[0-9a-f]{64}$/.test(key ?? ''))).toBe(true);
      expect(new Set(keys).size).toBe(3);
      expect(stub.subscription(KEY, id)!.cancel_at_period_end).toBe(false);
    });

    it('answers a retry of a change that succeeded as it answered the change, although the subscription changed since', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      const updated = await as(user).post('update-subscription', { new_price_id: prices.premium }, '', 'plan-a');
      expect(updated.status).toBe(200);
      // Without the key the same change is refused: the price is already the subscription's.
      expect((await as(user).post('update-subscription', { new_price_id: prices.premium }).expect(400)).body).toEqual({
        detail: "new_price_id is already the subscription's price",
      });
      const retried = await as(user).post('update-subscription', { new_price_id: prices.premium }, '', 'plan-a');
      expect([retried.status, retried.body]).toEqual([200, updated.body]);

      const canceled = await as(user).post('cancel-subscription', { cancel_immediately: true }, '', 'stop-a');
      expect(canceled.status).toBe(200);
      stub.reset();
      const again = await as(user).post('cancel-subscription', { cancel_immediately: true }, '', 'stop-a');
      expect([again.status, again.body]).toEqual([200, canceled.body]);
      expect(stub.requests).toEqual([]);
      // A new key asks again, and there is nothing left to cancel.
      expect((await as(user).post('cancel-subscription', {}, '', 'stop-b').expect(404)).body).toEqual(NONE_TO_CANCEL);
      expect(await recordOf(id)).toMatchObject({ status: 'canceled' });
    });

    it('sends the very call again after a lost answer: Stripe replays what it applied, the retry gets the success', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      stub.reset();
      // Every attempt of the update's POST (the SDK's own retries too) loses its answer.
      stub.failAlways({ kind: 'answer-lost', method: 'POST' });
      const lost = await as(user).post('update-subscription', { new_price_id: prices.premium }, '', 'lost-1');
      stub.failAlways(undefined);
      expect(lost.status).toBe(503);
      // Stripe did change the plan; the service never heard of it.
      expect(stub.subscription(KEY, id)!.items.data[0].price.id).toBe(prices.premium);
      // Asked again without the key, the change is refused: the price is already the subscription's.
      expect((await as(user).post('update-subscription', { new_price_id: prices.premium }).expect(400)).body).toEqual({
        detail: "new_price_id is already the subscription's price",
      });

      const retried = await as(user).post('update-subscription', { new_price_id: prices.premium }, '', 'lost-1');
      expect([retried.status, retried.body]).toEqual([
        200,
        {
          subscription_id: id,
          status: 'active',
          price_id: prices.premium,
          message: 'Subscription updated to new plan successfully.',
        },
      ]);
      const updates = stub.requests.filter(
        (call) => call.method === 'POST' && call.path.startsWith(`/v1/subscriptions/${id}`),
      );
      expect(updates.length).toBeGreaterThanOrEqual(2);
      expect(new Set(updates.map((call) => call.idempotencyKey)).size).toBe(1);
      expect(new Set(updates.map((call) => JSON.stringify(call.form))).size).toBe(1);
      expect(await mySubscription(user)).toMatchObject({ price_id: prices.premium });
    });

    it('does not keep a failed attempt: the retry with the same key goes to Stripe and succeeds', async () => {
      const user = randomUUID();
      await subscribe(user);
      stub.failNext({ kind: 'server-error' });
      await as(user).post('cancel-subscription', {}, '', 'flaky-1').expect(503);
      const retried = await as(user).post('cancel-subscription', {}, '', 'flaky-1').expect(200);
      expect(retried.body).toMatchObject({
        message: 'Subscription will be canceled at the end of the current billing period.',
      });
      expect(await mySubscription(user)).toMatchObject({ cancel_at_period_end: true });
    });

    it('answers 409 to a key reused with other parameters', async () => {
      const user = randomUUID();
      await subscribe(user);
      await as(user).post('update-subscription', { new_price_id: prices.premium }, '', 'plan-1').expect(200);
      const reused = await as(user).post('update-subscription', { new_price_id: prices.yearly }, '', 'plan-1');
      expect([reused.status, reused.body]).toEqual([409, KEY_REUSED]);
      expect(await mySubscription(user)).toMatchObject({ price_id: prices.premium });
    });

    it('answers 422 to an empty or too long key', async () => {
      for (const [key, type, msg] of [
        ['', 'string_too_short', 'String should have at least 1 character'],
        ['k'.repeat(256), 'string_too_long', 'String should have at most 255 characters'],
      ]) {
        const response = await as(randomUUID()).post('cancel-subscription', {}, '', key).expect(422);
        expect(response.body).toEqual({ detail: [{ loc: ['header', 'idempotency-key'], msg, type }] });
      }
    });
  });

  describe('Stripe failures', () => {
    it('answers as the portal does: 503 with Retry-After, 502 for a rejected key; the record is unchanged', async () => {
      const user = randomUUID();
      const id = await subscribe(user);
      const before = await recordOf(id);
      stub.failNext({ kind: 'server-error' });
      const unavailable = await as(user).post('cancel-subscription', {}).expect(503);
      expect(unavailable.body).toEqual({ detail: 'Stripe is temporarily unavailable; try again shortly' });
      expect(unavailable.headers['retry-after']).toBe('5');
      stub.failNext({ kind: 'authentication' });
      const rejected = await as(user).post('update-subscription', { new_price_id: prices.premium }).expect(502);
      expect(rejected.body).toEqual({
        detail:
          "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
      });
      expect(await recordOf(id)).toEqual(before);
      expect(stub.subscription(KEY, id)!.cancel_at_period_end).toBe(false);
    });
  });

  describe('requests', () => {
    const routes = [
      ['cancel-subscription', {}],
      ['update-subscription', { new_price_id: 'price_1' }],
      ['update-subscription/preview', { new_price_id: 'price_1' }],
      ['reactivate-subscription', {}],
    ] as const;

    it.each(routes)('%s answers 401 without a valid token and 403 to a developer token', async (path, body) => {
      const anonymous = await request(server()).post(`${BASE}/${path}`).send(body).expect(401);
      expect(anonymous.body).toEqual(UNAUTHENTICATED);
      const developerCall = await request(server())
        .post(`${BASE}/${path}`)
        .set('Authorization', `Bearer ${accessToken({ sub: developer })}`)
        .send(body)
        .expect(403);
      expect(developerCall.body).toEqual(NOT_END_USER);
    });

    it.each(routes)('%s answers 422 to a bad test_mode', async (path, body) => {
      const response = await as(randomUUID()).post(path, body, '?test_mode=maybe').expect(422);
      expect(response.body.detail[0]).toMatchObject({ loc: ['query', 'test_mode'], type: 'bool_parsing' });
    });

    it('cancel answers 422 to a cancel_immediately that is not a boolean', async () => {
      const response = await as(randomUUID()).post('cancel-subscription', { cancel_immediately: 'yes' }).expect(422);
      expect(response.body).toEqual({
        detail: [{ loc: ['body', 'cancel_immediately'], msg: 'Input should be a valid boolean', type: 'bool_type' }],
      });
    });
  });

  describe('tenant isolation', () => {
    it("never reaches another user's, mode's or project's subscription", async () => {
      const alice = randomUUID();
      const id = await subscribe(alice);
      const before = await recordOf(id);
      const stranger = randomUUID();

      expect((await as(stranger).post('cancel-subscription', { cancel_immediately: true }).expect(404)).body).toEqual(
        NONE_TO_CANCEL,
      );
      expect((await as(stranger).post('update-subscription', { new_price_id: prices.premium })).body).toEqual(
        NONE_TO_UPDATE,
      );
      // Alice's own id, in the live mode and in another developer's project.
      expect(
        (await as(alice).post('cancel-subscription', { cancel_immediately: true }, '?test_mode=false').expect(404))
          .body,
      ).toEqual(NONE_TO_CANCEL);
      expect(
        (await as(alice, otherProject).post('cancel-subscription', { cancel_immediately: true }).expect(404)).body,
      ).toEqual(NONE_TO_CANCEL);
      expect(
        (await as(alice, otherProject).post('update-subscription', { new_price_id: prices.other }).expect(404)).body,
      ).toEqual(NONE_TO_UPDATE);

      expect(await recordOf(id)).toEqual(before);
      expect(stub.subscription(KEY, id)!.status).toBe('active');
    });

    it("changes only the other project's own subscription with its own keys", async () => {
      const user = randomUUID();
      const mine = await subscribe(user);
      const theirs = await subscribe(user, {
        projectId: otherProject,
        key: OTHER_KEY,
        secret: OTHER_SECRET,
        price: prices.other,
      });
      stub.reset();
      await as(user, otherProject).post('cancel-subscription', { cancel_immediately: true }).expect(200);
      expect(stub.requests.map((call) => call.apiKey)).toEqual([OTHER_KEY]);
      expect(stub.subscription(OTHER_KEY, theirs)!.status).toBe('canceled');
      expect(stub.subscription(KEY, mine)!.status).toBe('active');
      expect(await mySubscription(user)).toMatchObject({ subscription_id: mine, status: 'active' });
      expect(await mySubscription(user, otherProject)).toBeNull();
    });
  });
});
