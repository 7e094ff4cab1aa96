import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { PaymentsRepository, SubscriptionsRepository } from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import { PrismaService } from '#libs/database';
import { fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * The developer's listings and figures over HTTP: GET .../projects/{project_id}/subscriptions and .../payments,
 * GET /api/v1/payments/subscriptions, /transactions and /stats. One subscription and its payment come from checkout
 * and a signed webhook through the Stripe stub; the rest are written through the webhooks' own repositories (many
 * statuses, currencies, refunds, both modes, times that tie), for two developers who must never see each other's.
 */

const KEY = 'sk_test_DDDDDDDDDDDDDDDDDDDDlist';
const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const API = '/api/v1/payments';
const DEVELOPER_REQUIRED = { detail: 'This endpoint requires a developer access token (a token without project_id)' };
const NOT_FOUND = { detail: 'Project not found' };
const TIE = new Date('2026-11-20T10:00:00.000Z');

interface Listed {
  id: string;
  project_id: string;
  created_at: string;
  status: string;
}

describe('developer billing listings and figures', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  let prisma: PrismaService;
  const devA = randomUUID();
  const devB = randomUUID();
  const loner = randomUUID();
  const checkoutProject = randomUUID(); // devA's: test keys, records made by checkout and webhooks
  const seededProject = randomUUID(); // devA's: a live key, records written through the repositories
  const bareProject = randomUUID(); // devA's: no Stripe configuration at all
  const foreignProject = randomUUID(); // devB's
  const alice = randomUUID();

  const server = () => testApp.app.getHttpServer();
  const get = (path: string, token?: string) => {
    const call = request(server()).get(path);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const asA = (path: string) => get(path, accessToken({ sub: devA }));
  const asB = (path: string) => get(path, accessToken({ sub: devB }));

  /** Writes records as the webhooks do: through the repositories, in a transaction. */
  const seed = async (
    projectId: string,
    mode: StripeMode,
    rows: {
      subscriptions?: { id: string; status: string; createdAt?: Date }[];
      payments?: { id: string; status: 'succeeded' | 'failed' | 'pending'; cents: number; currency: string }[];
    },
  ) => {
    await prisma.$transaction(async (tx) => {
      for (const subscription of rows.subscriptions ?? []) {
        await testApp.app.get(SubscriptionsRepository).save(tx, projectId, mode, {
          stripeSubscriptionId: subscription.id,
          stripeCustomerId: `cus_${subscription.id}`,
          status: subscription.status,
          priceId: 'price_seeded',
          planName: 'Seeded',
          quantity: 2,
          currentPeriodStart: null,
          currentPeriodEnd: null,
          cancelAt: null,
          cancelAtPeriodEnd: false,
          canceledAt: subscription.status === 'canceled' ? TIE : null,
          trialEnd: null,
          endedAt: null,
          createdAt: subscription.createdAt ?? TIE,
          fetchedAt: new Date(),
        });
      }
      for (const payment of rows.payments ?? []) {
        await testApp.app.get(PaymentsRepository).save(tx, projectId, mode, {
          stripeSourceId: payment.id,
          stripeInvoiceId: null,
          stripeCustomerId: null,
          stripeSubscriptionId: null,
          paymentIntentId: payment.id,
          status: payment.status,
          amountCents: payment.cents,
          currency: payment.currency,
          description: null,
          attempts: 1,
          createdAt: TIE,
          fetchedAt: new Date(),
        });
      }
    });
  };
  const refund = (projectId: string, mode: StripeMode, paymentIntentId: string, cents: number, full: boolean) =>
    prisma.$transaction((tx) =>
      testApp.app.get(PaymentsRepository).applyRefund(tx, projectId, mode, paymentIntentId, cents, full),
    );
  const deliver = (events: Stripe.Event[]) =>
    deliverSignedEvents(server(), stub, { projectId: checkoutProject, secret: SECRET }, events);
  /** The records' own order: newest first, the id breaking ties (lower-case uuids compare as PostgreSQL's do). */
  const newestFirst = (a: Listed, b: Listed) => {
    if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
    return a.id < b.id ? 1 : -1;
  };
  const ids = (rows: Listed[]) => rows.map((row) => row.id);

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    prisma = testApp.app.get(PrismaService);
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: checkoutProject, name: 'Checkout app', ownerId: devA });
    await projects.createProject({ id: seededProject, name: 'Seeded app', ownerId: devA });
    await projects.createProject({ id: bareProject, name: 'Bare app', ownerId: devA });
    await projects.createProject({ id: foreignProject, name: 'Foreign app', ownerId: devB });
    await projects.setModeCredentials(checkoutProject, 'test', { secretKey: KEY, webhookSecret: SECRET });
    await projects.setModeCredentials(seededProject, 'live', { secretKey: 'sk_live_DDDDDDDDDDDDDDDDDDDDlive' });
    stub.addAccount(KEY, []);
    const monthly = stub.addPrice(KEY, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });

    // Alice subscribes through checkout; the signed events record her subscription and its first payment (usd 2000).
    const checkout = await request(server())
      .post(`${API}/stripe/checkout-session?test_mode=true`)
      .set('Authorization', `Bearer ${endUserToken(alice, checkoutProject)}`)
      .send({ price_id: monthly, success_url: 'https://app.example.com/ok', cancel_url: 'https://app.example.com/no' })
      .expect(200);
    await deliver(stub.completeCheckout(KEY, checkout.body.session_id));

    await seed(seededProject, 'test', {
      subscriptions: [
        { id: 'sub_t_active', status: 'active' },
        { id: 'sub_t_trialing', status: 'trialing' },
        { id: 'sub_t_canceled', status: 'canceled' },
        { id: 'sub_t_incomplete', status: 'incomplete' },
      ],
      payments: [
        { id: 'pi_t_usd_1000', status: 'succeeded', cents: 1000, currency: 'usd' },
        { id: 'pi_t_usd_3000', status: 'succeeded', cents: 3000, currency: 'usd' },
        { id: 'pi_t_usd_400', status: 'failed', cents: 400, currency: 'usd' },
        { id: 'pi_t_usd_600', status: 'pending', cents: 600, currency: 'usd' },
        ...[500, 700, 900, 1100, 1300].map((cents) => ({
          id: `pi_t_eur_${cents}`,
          status: 'succeeded' as const,
          cents,
          currency: 'eur',
        })),
      ],
    });
    await refund(seededProject, 'test', 'pi_t_usd_3000', 3000, true);
    await seed(seededProject, 'live', {
      subscriptions: [
        { id: 'sub_l_active', status: 'active', createdAt: new Date('2026-11-21T00:00:00.000Z') },
        { id: 'sub_l_past_due', status: 'past_due', createdAt: new Date('2026-11-19T00:00:00.000Z') },
      ],
      payments: [
        { id: 'pi_l_usd_5000', status: 'succeeded', cents: 5000, currency: 'usd' },
        { id: 'pi_l_usd_7000', status: 'succeeded', cents: 7000, currency: 'usd' },
        { id: 'pi_l_gbp_10000', status: 'succeeded', cents: 10000, currency: 'gbp' },
      ],
    });
    await refund(seededProject, 'live', 'pi_l_usd_7000', 2000, false);
    await seed(foreignProject, 'test', {
      subscriptions: [{ id: 'sub_b_active', status: 'active' }],
      payments: [{ id: 'pi_b_usd', status: 'succeeded', cents: 99999, currency: 'usd' }],
    });
    await seed(foreignProject, 'live', {
      payments: [{ id: 'pi_b_live_jpy', status: 'succeeded', cents: 123, currency: 'jpy' }],
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  describe('authentication', () => {
    const routes = [
      `${API}/stripe/projects/${randomUUID()}/subscriptions`,
      `${API}/stripe/projects/${randomUUID()}/payments`,
      `${API}/subscriptions`,
      `${API}/transactions`,
      `${API}/stats`,
    ];

    it.each(routes)('answers 401 on %s without a valid token', async (path) => {
      expect((await get(path).expect(401)).body).toEqual({ detail: 'Could not validate credentials' });
      await get(path, 'not-a-token').expect(401);
    });

    it.each(routes)('answers 403 on %s to an end-user token', async (path) => {
      expect((await get(path, endUserToken(alice, checkoutProject)).expect(403)).body).toEqual(DEVELOPER_REQUIRED);
    });
  });

  describe('GET .../projects/{project_id}/subscriptions and .../payments', () => {
    it('lists what checkout and the webhook recorded, in the reference shapes, from the local records', async () => {
      const stripeRequests = stub.requestCount;
      const subscription = await prisma.subscription.findFirstOrThrow({ where: { projectId: checkoutProject } });
      const payment = await prisma.payment.findFirstOrThrow({ where: { projectId: checkoutProject } });
      expect((await asA(`${API}/stripe/projects/${checkoutProject}/subscriptions`).expect(200)).body).toEqual({
        subscriptions: [
          {
            id: subscription.id,
            project_id: checkoutProject,
            user_id: alice,
            is_test_mode: true,
            subscription_id: subscription.stripeSubscriptionId,
            customer_id: subscription.stripeCustomerId,
            status: 'active',
            plan_name: 'Pro',
            quantity: 1,
            current_period_start: subscription.currentPeriodStart!.toISOString(),
            current_period_end: subscription.currentPeriodEnd!.toISOString(),
            cancel_at: null,
            cancelled_at: null,
            created_at: subscription.createdAt.toISOString(),
            price_id: subscription.priceId,
            cancel_at_period_end: false,
            is_entitled: true,
          },
        ],
        total: 1,
        page: 1,
        page_size: 50,
      });
      expect((await asA(`${API}/stripe/projects/${checkoutProject}/payments`).expect(200)).body).toEqual({
        payments: [
          {
            id: payment.id,
            project_id: checkoutProject,
            subscription_id: subscription.id,
            user_id: alice,
            is_test_mode: true,
            payment_intent_id: payment.paymentIntentId,
            status: 'succeeded',
            amount_cents: 2000,
            currency: 'usd',
            description: payment.description,
            refunded_amount_cents: 0,
            created_at: payment.createdAt.toISOString(),
          },
        ],
        total: 1,
        page: 1,
        page_size: 50,
      });
      expect(stub.requestCount).toBe(stripeRequests);
    });

    it('shows one mode at a time: test by default, live with test_mode=false', async () => {
      const test = (await asA(`${API}/stripe/projects/${seededProject}/subscriptions`).expect(200)).body;
      expect(test.total).toBe(4);
      expect(test.subscriptions.every((row: { is_test_mode: boolean }) => row.is_test_mode)).toBe(true);
      const live = (await asA(`${API}/stripe/projects/${seededProject}/subscriptions?test_mode=false`).expect(200))
        .body;
      // Newest first.
      expect(live.subscriptions.map((row: { subscription_id: string }) => row.subscription_id)).toEqual([
        'sub_l_active',
        'sub_l_past_due',
      ]);
      const livePayments = (await asA(`${API}/stripe/projects/${seededProject}/payments?test_mode=no`).expect(200))
        .body;
      expect(livePayments.total).toBe(3);
      expect(
        livePayments.payments.find((row: { payment_intent_id: string }) => row.payment_intent_id === 'pi_l_usd_7000'),
      ).toMatchObject({ status: 'succeeded', amount_cents: 7000, refunded_amount_cents: 2000, is_test_mode: false });
    });

    it('filters by status (an extension)', async () => {
      const canceled = (await asA(`${API}/stripe/projects/${seededProject}/subscriptions?status=canceled`).expect(200))
        .body;
      expect(canceled).toMatchObject({ total: 1, subscriptions: [{ subscription_id: 'sub_t_canceled' }] });
      expect(canceled.subscriptions[0].cancelled_at).toBe(TIE.toISOString());
      const refunded = (await asA(`${API}/stripe/projects/${seededProject}/payments?status=refunded`).expect(200)).body;
      expect(refunded).toMatchObject({ total: 1, payments: [{ payment_intent_id: 'pi_t_usd_3000' }] });
      const none = (await asA(`${API}/stripe/projects/${seededProject}/payments?status=canceled`).expect(200)).body;
      expect(none).toEqual({ payments: [], total: 0, page: 1, page_size: 50 });
    });

    it('pages in one order when every record has the same time: no page repeats or skips one', async () => {
      const all = (await asA(`${API}/stripe/projects/${seededProject}/payments`).expect(200)).body;
      expect(all.total).toBe(9);
      expect(ids(all.payments)).toEqual(ids([...all.payments].sort(newestFirst)));
      const paged: string[] = [];
      for (let page = 1; page <= 5; page += 1) {
        const body = (
          await asA(`${API}/stripe/projects/${seededProject}/payments?page=${page}&page_size=2`).expect(200)
        ).body;
        expect(body).toMatchObject({ total: 9, page, page_size: 2 });
        paged.push(...ids(body.payments));
      }
      expect(paged).toEqual(ids(all.payments));
      const beyond = await asA(`${API}/stripe/projects/${seededProject}/subscriptions?page=3&page_size=2`).expect(200);
      expect(beyond.body).toEqual({ subscriptions: [], total: 4, page: 3, page_size: 2 });
    });

    it("answers 404 for another developer's project and for one that does not exist, the same way", async () => {
      for (const route of ['subscriptions', 'payments']) {
        expect((await asA(`${API}/stripe/projects/${foreignProject}/${route}`).expect(404)).body).toEqual(NOT_FOUND);
        expect((await asA(`${API}/stripe/projects/${randomUUID()}/${route}`).expect(404)).body).toEqual(NOT_FOUND);
        expect((await asB(`${API}/stripe/projects/${seededProject}/${route}`).expect(404)).body).toEqual(NOT_FOUND);
      }
    });

    it('shows a project with no records as an empty page', async () => {
      expect((await asA(`${API}/stripe/projects/${bareProject}/subscriptions`).expect(200)).body).toEqual({
        subscriptions: [],
        total: 0,
        page: 1,
        page_size: 50,
      });
    });
  });

  describe('GET /api/v1/payments/subscriptions and /transactions', () => {
    it("lists every record of the developer's projects, both modes, newest first, with project name and provider", async () => {
      const body = (await asA(`${API}/subscriptions`).expect(200)).body;
      expect(body).toMatchObject({ total: 7, page: 1, page_size: 50 });
      expect(ids(body.subscriptions)).toEqual(ids([...body.subscriptions].sort(newestFirst)));
      expect(new Set(body.subscriptions.map((row: Listed) => row.project_id))).toEqual(
        new Set([checkoutProject, seededProject]),
      );
      const live = body.subscriptions.find(
        (row: { subscription_id: string }) => row.subscription_id === 'sub_l_active',
      );
      expect(live).toEqual({
        id: expect.any(String),
        project_id: seededProject,
        project_name: 'Seeded app',
        provider: 'stripe',
        user_id: null,
        is_test_mode: false,
        subscription_id: 'sub_l_active',
        customer_id: 'cus_sub_l_active',
        status: 'active',
        plan_name: 'Seeded',
        quantity: 2,
        current_period_start: null,
        current_period_end: null,
        cancel_at: null,
        cancelled_at: null,
        created_at: '2026-11-21T00:00:00.000Z',
        price_id: 'price_seeded',
        cancel_at_period_end: false,
        is_entitled: true,
      });
      // The entitlement rule of my-subscription: past_due without grace days (the default) grants no access.
      expect(
        body.subscriptions.find((row: { subscription_id: string }) => row.subscription_id === 'sub_l_past_due'),
      ).toMatchObject({ status: 'past_due', is_entitled: false });

      const payments = (await asA(`${API}/transactions`).expect(200)).body;
      expect(payments).toMatchObject({ total: 13, page: 1, page_size: 50 });
      expect(ids(payments.payments)).toEqual(ids([...payments.payments].sort(newestFirst)));
      const checkoutPayment = payments.payments.find((row: Listed) => row.project_id === checkoutProject);
      expect(checkoutPayment).toMatchObject({
        project_name: 'Checkout app',
        provider: 'stripe',
        user_id: alice,
        amount_cents: 2000,
        currency: 'usd',
        status: 'succeeded',
      });
    });

    it('filters by project, mode and status; absent means no filter', async () => {
      const count = async (path: string) => (await asA(path).expect(200)).body.total as number;
      expect(await count(`${API}/subscriptions?project_id=${checkoutProject}`)).toBe(1);
      expect(await count(`${API}/subscriptions?project_id=${seededProject.toUpperCase()}`)).toBe(6);
      expect(await count(`${API}/subscriptions?test_mode=true`)).toBe(5);
      expect(await count(`${API}/subscriptions?test_mode=false`)).toBe(2);
      expect(await count(`${API}/subscriptions?status=active`)).toBe(3);
      expect(await count(`${API}/subscriptions?status=active&test_mode=false&project_id=${seededProject}`)).toBe(1);
      expect(await count(`${API}/transactions?project_id=${seededProject}&test_mode=true`)).toBe(9);
      expect(await count(`${API}/transactions?status=succeeded`)).toBe(10);
      expect(await count(`${API}/transactions?status=failed&test_mode=false`)).toBe(0);
      expect(await count(`${API}/transactions?project_id=${bareProject}`)).toBe(0);
    });

    it('pages the cross-project listing without repeats when times tie', async () => {
      const all = ids((await asA(`${API}/transactions`).expect(200)).body.payments);
      const paged: string[] = [];
      for (let page = 1; page <= 4; page += 1) {
        paged.push(...ids((await asA(`${API}/transactions?page=${page}&page_size=4`).expect(200)).body.payments));
      }
      expect(paged).toEqual(all);
    });

    it("never shows another developer's records, and a filter on their project is a 404", async () => {
      const b = (await asB(`${API}/transactions`).expect(200)).body;
      expect(b.payments.map((row: { payment_intent_id: string }) => row.payment_intent_id).sort()).toEqual([
        'pi_b_live_jpy',
        'pi_b_usd',
      ]);
      expect((await asB(`${API}/subscriptions`).expect(200)).body.total).toBe(1);
      for (const route of ['subscriptions', 'transactions']) {
        expect((await asA(`${API}/${route}?project_id=${foreignProject}`).expect(404)).body).toEqual(NOT_FOUND);
        expect((await asA(`${API}/${route}?project_id=${randomUUID()}`).expect(404)).body).toEqual(NOT_FOUND);
        expect((await asB(`${API}/${route}?project_id=${checkoutProject}`).expect(404)).body).toEqual(NOT_FOUND);
      }
      expect((await get(`${API}/subscriptions`, accessToken({ sub: loner })).expect(200)).body).toEqual({
        subscriptions: [],
        total: 0,
        page: 1,
        page_size: 50,
      });
    });
  });

  describe('GET /api/v1/payments/stats', () => {
    it('counts test and live records with test_mode=true (the default): revenue in the leading currency only', async () => {
      const expected = {
        total_projects: 3,
        projects_with_config: 2,
        projects_with_test: 1,
        projects_with_live: 1,
        total_subscriptions: 7,
        // active and trialing: Alice's, sub_t_active, sub_t_trialing, sub_l_active.
        active_subscriptions: 4,
        total_payments: 13,
        // succeeded, and the refunded one that succeeded first; not the failed or the pending one.
        successful_payments: 11,
        // usd and eur both have 5 successful payments: the larger revenue leads. 2000 + 1000 + 3000 + 5000 + 7000.
        total_revenue_cents: 18000,
        currency: 'usd',
        revenue_by_currency: [
          { currency: 'usd', successful_payments: 5, revenue_cents: 18000, refunded_cents: 5000 },
          { currency: 'eur', successful_payments: 5, revenue_cents: 4500, refunded_cents: 0 },
          { currency: 'gbp', successful_payments: 1, revenue_cents: 10000, refunded_cents: 0 },
        ],
      };
      expect((await asA(`${API}/stats`).expect(200)).body).toEqual(expected);
      expect((await asA(`${API}/stats?test_mode=true`).expect(200)).body).toEqual(expected);
    });

    it('counts live records only with test_mode=false', async () => {
      expect((await asA(`${API}/stats?test_mode=false`).expect(200)).body).toEqual({
        total_projects: 3,
        projects_with_config: 2,
        projects_with_test: 1,
        projects_with_live: 1,
        total_subscriptions: 2,
        active_subscriptions: 1,
        total_payments: 3,
        successful_payments: 3,
        total_revenue_cents: 12000,
        currency: 'usd',
        revenue_by_currency: [
          { currency: 'usd', successful_payments: 2, revenue_cents: 12000, refunded_cents: 2000 },
          { currency: 'gbp', successful_payments: 1, revenue_cents: 10000, refunded_cents: 0 },
        ],
      });
    });

    it("counts only the caller's own projects; a developer with none gets zeros in usd", async () => {
      expect((await asB(`${API}/stats?test_mode=0`).expect(200)).body).toEqual({
        total_projects: 1,
        projects_with_config: 0,
        projects_with_test: 0,
        projects_with_live: 0,
        total_subscriptions: 0,
        active_subscriptions: 0,
        total_payments: 1,
        successful_payments: 1,
        total_revenue_cents: 123,
        currency: 'jpy',
        revenue_by_currency: [{ currency: 'jpy', successful_payments: 1, revenue_cents: 123, refunded_cents: 0 }],
      });
      expect((await get(`${API}/stats`, accessToken({ sub: loner })).expect(200)).body).toEqual({
        total_projects: 0,
        projects_with_config: 0,
        projects_with_test: 0,
        projects_with_live: 0,
        total_subscriptions: 0,
        active_subscriptions: 0,
        total_payments: 0,
        successful_payments: 0,
        total_revenue_cents: 0,
        currency: 'usd',
        revenue_by_currency: [],
      });
    });

    it('follows a renewal that the webhook records', async () => {
      const subscription = await prisma.subscription.findFirstOrThrow({ where: { projectId: checkoutProject } });
      await deliver(stub.renewSubscription(KEY, subscription.stripeSubscriptionId, { payment: 'succeeds' }));
      const stats = (await asA(`${API}/stats`).expect(200)).body;
      expect(stats).toMatchObject({ total_payments: 14, successful_payments: 12, total_revenue_cents: 20000 });
      expect((await asA(`${API}/stripe/projects/${checkoutProject}/payments`).expect(200)).body.total).toBe(2);
    });
  });

  describe('validation', () => {
    const project = () => seededProject;
    const pagination: [string, (string | number)[], string, string][] = [
      ['page=0', ['query', 'page'], 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['page=-1', ['query', 'page'], 'greater_than_equal', 'Input should be greater than or equal to 1'],
      [
        'page=one',
        ['query', 'page'],
        'int_parsing',
        'Input should be a valid integer, unable to parse string as an integer',
      ],
      [
        'page=1.5',
        ['query', 'page'],
        'int_parsing',
        'Input should be a valid integer, unable to parse string as an integer',
      ],
      ['page_size=0', ['query', 'page_size'], 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['page_size=101', ['query', 'page_size'], 'less_than_equal', 'Input should be less than or equal to 100'],
      [
        'page_size=',
        ['query', 'page_size'],
        'int_parsing',
        'Input should be a valid integer, unable to parse string as an integer',
      ],
      [
        'test_mode=maybe',
        ['query', 'test_mode'],
        'bool_parsing',
        'Input should be a valid boolean, unable to interpret input',
      ],
      [
        'test_mode=',
        ['query', 'test_mode'],
        'bool_parsing',
        'Input should be a valid boolean, unable to interpret input',
      ],
    ];
    const subscriptionStatus =
      "Input should be 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid' or 'paused'";
    const paymentStatus = "Input should be 'pending', 'succeeded', 'failed', 'refunded' or 'canceled'";
    const statusCases = (statusMessage: string): [string, (string | number)[], string, string][] => [
      ['status=Active', ['query', 'status'], 'literal_error', statusMessage],
      ['status=', ['query', 'status'], 'literal_error', statusMessage],
      ['status=bogus', ['query', 'status'], 'literal_error', statusMessage],
    ];
    const projectIdCases: [string, (string | number)[], string, string][] = [
      ['project_id=nope', ['query', 'project_id'], 'uuid_parsing', 'Input should be a valid UUID'],
      ['project_id=', ['query', 'project_id'], 'uuid_parsing', 'Input should be a valid UUID'],
    ];
    // The reference's cross-project status is any text; only what PostgreSQL cannot compare is refused.
    const statusTextCases: [string, (string | number)[], string, string][] = [
      [
        'status=a%00b',
        ['query', 'status'],
        'value_error',
        'Value error, text must not contain NUL characters or unpaired surrogates',
      ],
    ];
    const cases = [
      ...[...pagination, ...statusCases(subscriptionStatus)].map((c) => ['project subscriptions', ...c] as const),
      ...[...pagination, ...statusCases(paymentStatus)].map((c) => ['project payments', ...c] as const),
      ...[...pagination, ...statusTextCases, ...projectIdCases].map((c) => ['subscriptions', ...c] as const),
      ...[...pagination, ...statusTextCases, ...projectIdCases].map((c) => ['transactions', ...c] as const),
      ...pagination.filter(([query]) => query.startsWith('test_mode')).map((c) => ['stats', ...c] as const),
    ];
    const paths: Record<string, () => string> = {
      'project subscriptions': () => `${API}/stripe/projects/${project()}/subscriptions`,
      'project payments': () => `${API}/stripe/projects/${project()}/payments`,
      subscriptions: () => `${API}/subscriptions`,
      transactions: () => `${API}/transactions`,
      stats: () => `${API}/stats`,
    };

    it.each(cases)('%s: 422 for %s', async (route, query, loc, type, msg) => {
      expect((await asA(`${paths[route]()}?${query}`).expect(422)).body).toEqual({ detail: [{ loc, msg, type }] });
    });

    it('answers 422 for a malformed project_id before looking for the project, and 422 before 404', async () => {
      for (const route of ['subscriptions', 'payments']) {
        expect((await asA(`${API}/stripe/projects/not-a-uuid/${route}`).expect(422)).body).toEqual({
          detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
        });
        const foreign = await asA(`${API}/stripe/projects/${foreignProject}/${route}?page=0`).expect(422);
        expect(foreign.body.detail[0].loc).toEqual(['query', 'page']);
      }
    });

    it.each(['Active', '', 'bogus', 'cancelled'])(
      'answers an empty page to the cross-project status %j, which no record has (the reference takes any text)',
      async (status) => {
        for (const route of ['subscriptions', 'transactions']) {
          const body = (await asA(`${API}/${route}?status=${status}`).expect(200)).body;
          expect({ total: body.total, rows: (body.subscriptions ?? body.payments).length }).toEqual({
            total: 0,
            rows: 0,
          });
        }
      },
    );

    it('takes the last of repeated values, as the reference does', async () => {
      const body = (
        await asA(`${API}/subscriptions?test_mode=true&test_mode=false&status=bogus&status=past_due`).expect(200)
      ).body;
      expect(body).toMatchObject({ total: 1, subscriptions: [{ subscription_id: 'sub_l_past_due' }] });
    });
  });
});
