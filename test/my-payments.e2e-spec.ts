import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { PaymentsRepository } from '#libs/billing-records';
import { PrismaService } from '#libs/database';
import { fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * GET /api/v1/payments/stripe/my-payments over HTTP: an end user's own payments, as the webhooks recorded them from the
 * stub's checkout, renewal and one-time payment, newest first and paged; nobody else's, and no Stripe call.
 */

const KEY = 'sk_test_MMMMMMMMMMMMMMMMMMMMpays';
const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const PATH = '/api/v1/payments/stripe/my-payments';

describe('GET /api/v1/payments/stripe/my-payments', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  let prisma: PrismaService;
  const project = randomUUID();
  const otherProject = randomUUID();
  const alice = randomUUID();
  const bob = randomUUID();
  const carol = randomUUID();

  const server = () => testApp.app.getHttpServer();
  const get = (token: string | undefined, query = '') => {
    const call = request(server()).get(`${PATH}${query}`);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const deliver = (events: Stripe.Event[]) =>
    deliverSignedEvents(server(), stub, { projectId: project, secret: SECRET }, events);
  const checkout = async (userId: string, priceId: string) => {
    const response = await request(server())
      .post('/api/v1/payments/stripe/checkout-session?test_mode=true')
      .set('Authorization', `Bearer ${endUserToken(userId, project)}`)
      .send({
        price_id: priceId,
        mode: priceId === oneTime ? 'payment' : 'subscription',
        success_url: 'https://app.example.com/done',
        cancel_url: 'https://app.example.com/pricing',
      })
      .expect(200);
    return response.body.session_id as string;
  };
  let monthly: string;
  let oneTime: string;

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    prisma = testApp.app.get(PrismaService);
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: project, name: 'payments', ownerId: randomUUID() });
    await projects.createProject({ id: otherProject, name: 'other', ownerId: randomUUID() });
    await projects.setModeCredentials(project, 'test', { secretKey: KEY, webhookSecret: SECRET });
    stub.addAccount(KEY, []);
    monthly = stub.addPrice(KEY, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });
    oneTime = stub.addPrice(KEY, { unitAmount: 5000, productName: 'Lifetime' });

    // Alice subscribes, renews once, and buys a one-time item: three payments, in that order.
    const session = await checkout(alice, monthly);
    await deliver(stub.completeCheckout(KEY, session));
    const subscriptionId = stub.checkoutSession(KEY, session)!.subscription as string;
    await deliver(stub.renewSubscription(KEY, subscriptionId, { payment: 'succeeds' }));
    await deliver(stub.completeCheckout(KEY, await checkout(alice, oneTime)));
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  it("answers the user's payments newest first, in the reference's shape, with no Stripe call", async () => {
    const stripeRequests = stub.requestCount;
    const response = await get(endUserToken(alice, project)).expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(stub.requestCount).toBe(stripeRequests);
    const rows = await prisma.payment.findMany({
      where: { projectId: project, userId: alice },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    expect(rows).toHaveLength(3);
    expect(response.body).toEqual({
      payments: rows.map((row) => ({
        id: row.id,
        project_id: project,
        subscription_id: row.subscriptionId,
        user_id: alice,
        is_test_mode: true,
        payment_intent_id: row.paymentIntentId,
        status: 'succeeded',
        amount_cents: row.amountCents,
        currency: 'usd',
        description: row.description,
        refunded_amount_cents: 0,
        created_at: row.createdAt.toISOString(),
      })),
      total: 3,
      page: 1,
      page_size: 50,
    });
    // Stripe's times have one-second resolution, so these three may tie: the order is the records' (time, then id).
    const byAmount = [...response.body.payments].sort(
      (a: { amount_cents: number }, b: { amount_cents: number }) => a.amount_cents - b.amount_cents,
    );
    expect(byAmount.map((payment: { amount_cents: number }) => payment.amount_cents)).toEqual([2000, 2000, 5000]);
    // The one-time payment has no subscription; the two invoices have theirs.
    expect(byAmount.map((payment: { subscription_id: string | null }) => payment.subscription_id === null)).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('pages with page and page_size, total counting every page', async () => {
    const all = (await get(endUserToken(alice, project)).expect(200)).body.payments.map((p: { id: string }) => p.id);
    const first = await get(endUserToken(alice, project), '?page_size=2').expect(200);
    expect(first.body).toMatchObject({ total: 3, page: 1, page_size: 2 });
    expect(first.body.payments.map((p: { id: string }) => p.id)).toEqual(all.slice(0, 2));
    const second = await get(endUserToken(alice, project), '?page=2&page_size=2').expect(200);
    expect(second.body.payments.map((p: { id: string }) => p.id)).toEqual(all.slice(2));
    const beyond = await get(endUserToken(alice, project), '?page=9&page_size=2').expect(200);
    expect(beyond.body).toEqual({ payments: [], total: 3, page: 9, page_size: 2 });
    const last = await get(endUserToken(alice, project), `?page=${Number.MAX_SAFE_INTEGER}&page_size=100`).expect(200);
    expect(last.body).toEqual({ payments: [], total: 3, page: Number.MAX_SAFE_INTEGER, page_size: 100 });
  });

  it('keeps one order when payments share their time, so pages never repeat or skip one', async () => {
    const payments = testApp.app.get(PaymentsRepository);
    const at = new Date('2026-11-30T12:00:00.000Z');
    await prisma.stripeCustomer.create({
      data: { projectId: project, userId: carol, mode: 'test', stripeCustomerId: 'cus_carolTies' },
    });
    await prisma.$transaction(async (tx) => {
      for (let index = 0; index < 5; index += 1) {
        await payments.save(tx, project, 'test', {
          stripeSourceId: `pi_tie${index}`,
          stripeInvoiceId: null,
          stripeCustomerId: 'cus_carolTies',
          stripeSubscriptionId: null,
          paymentIntentId: `pi_tie${index}`,
          status: 'succeeded',
          amountCents: 100 + index,
          currency: 'eur',
          description: null,
          attempts: 1,
          createdAt: at,
          fetchedAt: at,
        });
      }
    });
    const seen: string[] = [];
    for (let page = 1; page <= 5; page += 1) {
      const response = await get(endUserToken(carol, project), `?page=${page}&page_size=1`).expect(200);
      expect(response.body.total).toBe(5);
      seen.push(...response.body.payments.map((p: { payment_intent_id: string }) => p.payment_intent_id));
    }
    expect(seen.sort()).toEqual(['pi_tie0', 'pi_tie1', 'pi_tie2', 'pi_tie3', 'pi_tie4']);
  });

  it("shows nobody else's payments: another user, the other mode, another project", async () => {
    expect((await get(endUserToken(bob, project)).expect(200)).body).toEqual({
      payments: [],
      total: 0,
      page: 1,
      page_size: 50,
    });
    expect((await get(endUserToken(alice, project), '?test_mode=false').expect(200)).body.total).toBe(0);
    expect((await get(endUserToken(alice, otherProject)).expect(200)).body.total).toBe(0);
  });

  it('answers 401 without a valid token and 403 to a developer token', async () => {
    const unauthenticated = await get(undefined).expect(401);
    expect(unauthenticated.body).toEqual({ detail: 'Could not validate credentials' });
    const developer = await get(accessToken({ sub: randomUUID() })).expect(403);
    expect(developer.body).toEqual({
      detail: 'This endpoint requires an end-user access token with project scope (project_id claim)',
    });
  });

  it.each([
    ['?page=0', ['query', 'page'], 'greater_than_equal', 'Input should be greater than or equal to 1'],
    ['?page_size=0', ['query', 'page_size'], 'greater_than_equal', 'Input should be greater than or equal to 1'],
    ['?page_size=101', ['query', 'page_size'], 'less_than_equal', 'Input should be less than or equal to 100'],
    [
      '?page=two',
      ['query', 'page'],
      'int_parsing',
      'Input should be a valid integer, unable to parse string as an integer',
    ],
    [
      '?test_mode=maybe',
      ['query', 'test_mode'],
      'bool_parsing',
      'Input should be a valid boolean, unable to interpret input',
    ],
  ])('answers 422 for %s', async (query, loc, type, msg) => {
    const response = await get(endUserToken(alice, project), query).expect(422);
    expect(response.body).toEqual({ detail: [{ loc, msg, type }] });
  });
});
