import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { sendSignedEvent } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * GET .../webhook-status and POST .../sync over HTTP: what the event log says of a project's endpoint after good
 * events, a failed one and forged ones; and the sync repairing from the stub's subscriptions what webhooks never
 * delivered, restoring customer links, paging, ignoring other projects' subscriptions and answering Stripe's failures.
 */

const BASE = '/api/v1/payments/stripe/projects';
const PROJECT_NOT_FOUND = { detail: 'Project not found' };
const NOT_CONFIGURED = { detail: 'Project not found or Stripe not configured' };
const DEVELOPER_REQUIRED = { detail: 'This endpoint requires a developer access token (a token without project_id)' };
const BAD_TEST_MODE = {
  detail: [
    {
      loc: ['query', 'test_mode'],
      msg: 'Input should be a valid boolean, unable to interpret input',
      type: 'bool_parsing',
    },
  ],
};
const BAD_PROJECT_ID = {
  detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
};
const NOTHING = { fetched: 0, created: 0, updated: 0, unchanged: 0, ignored: 0, links_restored: 0 };

const newKey = () => `sk_test_${randomBytes(12).toString('hex')}`;

describe('webhook status and subscription sync', () => {
  const stub = new StripeStub();
  let testApp: TestApp;
  let prisma: PrismaService;

  const server = () => testApp.app.getHttpServer();
  const authed = (call: request.Test, token: string | undefined) =>
    token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  const webhookStatus = (token: string | undefined, projectId: string, query = '') =>
    authed(request(server()).get(`${BASE}/${projectId}/webhook-status${query}`), token);
  const sync = (token: string | undefined, projectId: string, query = '') =>
    authed(request(server()).post(`${BASE}/${projectId}/sync${query}`), token);
  const deliver = (projectId: string, secret: string, event: Stripe.Event) =>
    sendSignedEvent(server(), stub, { projectId, secret }, event);

  /** A developer of their own (the sync's rate limit is per developer) with one project and its own Stripe account. */
  const newProject = async (options: { customers?: string[] } = {}) => {
    const developer = randomUUID();
    const projectId = randomUUID();
    const key = newKey();
    const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: projectId, name: 'sync', ownerId: developer });
    await projects.setModeCredentials(projectId, 'test', { secretKey: key, webhookSecret });
    stub.addAccount(key, options.customers ?? []);
    const price = stub.addPrice(key, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });
    return { developer, projectId, key, webhookSecret, price, token: accessToken({ sub: developer }) };
  };
  type Project = Awaited<ReturnType<typeof newProject>>;

  /** The end user subscribes through the service's checkout; Stripe's events are returned, not delivered. */
  const subscribe = async (project: Project, userId: string) => {
    const response = await request(server())
      .post('/api/v1/payments/stripe/checkout-session?test_mode=true')
      .set('Authorization', `Bearer ${endUserToken(userId, project.projectId)}`)
      .send({
        price_id: project.price,
        success_url: 'https://app.example.com/done',
        cancel_url: 'https://app.example.com/pricing',
      })
      .expect(200);
    const events = stub.completeCheckout(project.key, response.body.session_id);
    const session = stub.checkoutSession(project.key, response.body.session_id)!;
    return { events, subscriptionId: session.subscription as string, customerId: session.customer as string };
  };
  const storedSubscription = (projectId: string, stripeSubscriptionId: string) =>
    prisma.subscription.findUnique({
      where: { projectId_mode_stripeSubscriptionId: { projectId, mode: 'test', stripeSubscriptionId } },
    });
  const subscriptionOf = (event: Stripe.Event) => (event.data.object as Stripe.Subscription).id;

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    prisma = testApp.app.get(PrismaService);
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  describe('GET /projects/{project_id}/webhook-status', () => {
    it('answers nothing received for a project no event reached', async () => {
      const project = await newProject();
      const response = await webhookStatus(project.token, project.projectId).expect(200);
      expect(response.body).toEqual({
        last_event_at: null,
        last_event_type: null,
        events_last_24h: 0,
        failed_events_last_24h: 0,
        signature_failures_last_24h: 0,
        last_signature_failure_at: null,
      });
    });

    it('counts good events, a failed one and forged deliveries of the mode, in one SQL statement after the ownership check', async () => {
      const project = await newProject();
      const { events, subscriptionId } = await subscribe(project, randomUUID());
      for (const event of events) await deliver(project.projectId, project.webhookSecret, event).expect(200);
      // Stripe fails the re-fetch: the event is stored as failed, and Stripe will deliver it again.
      const [renewal] = stub.updateSubscription(project.key, subscriptionId, { cancel_at_period_end: true });
      stub.failNextForKey(project.key, { kind: 'server-error' });
      await deliver(project.projectId, project.webhookSecret, renewal).expect(503);
      // A wrong secret, and no signature at all.
      const forged = stub.signEvent(renewal, 'whsec_not_the_projects_secret');
      for (const signature of [forged.header, 't=1,v1=00']) {
        await request(server())
          .post(`/api/v1/payments/stripe/webhooks/${project.projectId}/test`)
          .set('Content-Type', 'application/json')
          .set('Stripe-Signature', signature)
          .send(forged.payload)
          .expect(400);
      }

      const before = prisma.statementCount;
      const response = await webhookStatus(project.token, project.projectId, '?test_mode=true').expect(200);
      // The project's ownership, then the status: one statement.
      expect(prisma.statementCount - before).toBe(2);
      const last = await prisma.webhookEvent.findFirst({
        where: { projectId: project.projectId },
        orderBy: { receivedAt: 'desc' },
      });
      const [failures] = await prisma.webhookSignatureFailure.findMany({ where: { projectId: project.projectId } });
      expect(response.body).toEqual({
        last_event_at: last!.receivedAt.toISOString(),
        last_event_type: 'customer.subscription.updated',
        events_last_24h: 4,
        failed_events_last_24h: 1,
        signature_failures_last_24h: 2,
        last_signature_failure_at: failures.lastFailureAt.toISOString(),
      });

      // The retry succeeds: no longer a failure. The live endpoint received nothing.
      await deliver(project.projectId, project.webhookSecret, renewal).expect(200);
      expect((await webhookStatus(project.token, project.projectId).expect(200)).body).toMatchObject({
        events_last_24h: 4,
        failed_events_last_24h: 0,
      });
      expect((await webhookStatus(project.token, project.projectId, '?test_mode=false').expect(200)).body).toEqual({
        last_event_at: null,
        last_event_type: null,
        events_last_24h: 0,
        failed_events_last_24h: 0,
        signature_failures_last_24h: 0,
        last_signature_failure_at: null,
      });
    });

    it('counts only the last 24 hours, signature failures by the hour, yet names the last ones whenever they were', async () => {
      const project = await newProject();
      const { events } = await subscribe(project, randomUUID());
      await deliver(project.projectId, project.webhookSecret, events[0]).expect(200);
      const dayAgo = new Date(Date.now() - 25 * 3_600_000);
      await prisma.webhookEvent.updateMany({ where: { projectId: project.projectId }, data: { receivedAt: dayAgo } });
      const hourAgo = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 24 * 3_600_000);
      await prisma.webhookSignatureFailure.create({
        data: { projectId: project.projectId, mode: 'test', hour: hourAgo, failures: 5, lastFailureAt: hourAgo },
      });
      expect((await webhookStatus(project.token, project.projectId).expect(200)).body).toEqual({
        last_event_at: dayAgo.toISOString(),
        last_event_type: 'customer.subscription.created',
        events_last_24h: 0,
        failed_events_last_24h: 0,
        signature_failures_last_24h: 0,
        last_signature_failure_at: hourAgo.toISOString(),
      });
    });

    it("answers 404 for another developer's project or none, 401 and 403 without a developer token", async () => {
      const project = await newProject();
      const stranger = accessToken({ sub: randomUUID() });
      expect((await webhookStatus(stranger, project.projectId).expect(404)).body).toEqual(PROJECT_NOT_FOUND);
      expect((await webhookStatus(project.token, randomUUID()).expect(404)).body).toEqual(PROJECT_NOT_FOUND);
      await webhookStatus(undefined, project.projectId).expect(401);
      const endUser = endUserToken(randomUUID(), project.projectId);
      expect((await webhookStatus(endUser, project.projectId).expect(403)).body).toEqual(DEVELOPER_REQUIRED);
    });

    it('answers 422 for a malformed test_mode or project_id', async () => {
      const project = await newProject();
      expect((await webhookStatus(project.token, project.projectId, '?test_mode=maybe').expect(422)).body).toEqual(
        BAD_TEST_MODE,
      );
      expect((await webhookStatus(project.token, 'not-a-uuid').expect(422)).body).toEqual(BAD_PROJECT_ID);
    });
  });

  describe('POST /projects/{project_id}/sync', () => {
    it('runs one sync of a project and mode at a time: a second while the first reads Stripe is a 409', async () => {
      const project = await newProject();
      await subscribe(project, randomUUID());
      stub.failNextForKey(project.key, { kind: 'slow', delayMs: 1_000 });
      const first = sync(project.token, project.projectId).then((response) => response);
      // The first holds the (project, mode) while Stripe is slow to answer its list.
      while (!stub.requests.some((call) => call.apiKey === project.key && call.path.startsWith('/v1/subscriptions?'))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const second = await sync(project.token, project.projectId);
      expect([second.status, second.body]).toEqual([
        409,
        {
          detail: "A sync of this project's test mode subscriptions is already running; try again when it has finished",
        },
      ]);
      expect((await first).status).toBe(200);
      // Once it is done, the next one runs.
      expect((await sync(project.token, project.projectId).expect(200)).body).toMatchObject({ fetched: 1 });
    });

    it('restores no customer link from an ended subscription (its customer may be gone or unlinked on purpose)', async () => {
      const project = await newProject({ customers: ['cus_formerUser'] });
      const formerUser = randomUUID();
      const [created] = stub.createSubscription(project.key, {
        customer: 'cus_formerUser',
        price: project.price,
        metadata: { project_id: project.projectId, user_id: formerUser },
      });
      const id = (created.data.object as Stripe.Subscription).id;
      stub.cancelSubscription(project.key, id);

      const result = await sync(project.token, project.projectId).expect(200);
      expect(result.body).toEqual({ ...NOTHING, fetched: 1, created: 1 });
      expect(await prisma.stripeCustomer.count({ where: { projectId: project.projectId } })).toBe(0);
      expect(await storedSubscription(project.projectId, id)).toMatchObject({ status: 'canceled', userId: null });
    });

    it('records a subscription whose webhooks never arrived as they would have, then finds it unchanged', async () => {
      const project = await newProject();
      const userId = randomUUID();
      const { events, subscriptionId, customerId } = await subscribe(project, userId);
      expect(await storedSubscription(project.projectId, subscriptionId)).toBeNull();

      const first = await sync(project.token, project.projectId, '?test_mode=true').expect(200);
      expect(first.body).toEqual({ ...NOTHING, fetched: 1, created: 1 });
      expect(first.headers['x-ratelimit-limit']).toBe('10');
      const stripeSubscription = stub.subscription(project.key, subscriptionId)!;
      const item = stripeSubscription.items.data[0];
      expect(await storedSubscription(project.projectId, subscriptionId)).toMatchObject({
        userId,
        stripeCustomerId: customerId,
        status: 'active',
        priceId: project.price,
        planName: 'Pro',
        quantity: 1,
        currentPeriodStart: new Date(item.current_period_start * 1000),
        currentPeriodEnd: new Date(item.current_period_end * 1000),
        cancelAtPeriodEnd: false,
        createdAt: new Date(stripeSubscription.created * 1000),
      });
      // Payments are not repaired: the first invoice stays unrecorded until an invoice event arrives.
      expect(await prisma.payment.count({ where: { projectId: project.projectId } })).toBe(0);

      const again = await sync(project.token, project.projectId).expect(200);
      expect(again.body).toEqual({ ...NOTHING, fetched: 1, unchanged: 1 });
      // The late webhook writes exactly what the sync wrote.
      const {
        fetchedAt: _synced,
        updatedAt: _written,
        ...synced
      } = (await storedSubscription(project.projectId, subscriptionId))!;
      await deliver(project.projectId, project.webhookSecret, events[0]).expect(200);
      const {
        fetchedAt: _fetched,
        updatedAt: _updated,
        ...delivered
      } = (await storedSubscription(project.projectId, subscriptionId))!;
      expect(delivered).toEqual(synced);

      // A change made in Stripe whose event is lost: the next sync updates the record.
      stub.updateSubscription(project.key, subscriptionId, { cancel_at_period_end: true });
      expect((await sync(project.token, project.projectId).expect(200)).body).toEqual({
        ...NOTHING,
        fetched: 1,
        updated: 1,
      });
      expect(await storedSubscription(project.projectId, subscriptionId)).toMatchObject({ cancelAtPeriodEnd: true });
    });

    it('keeps a record read from Stripe later than the sync (a webhook meanwhile)', async () => {
      const project = await newProject();
      const { subscriptionId } = await subscribe(project, randomUUID());
      await sync(project.token, project.projectId).expect(200);
      const later = new Date(Date.now() + 3_600_000);
      await prisma.subscription.updateMany({
        where: { projectId: project.projectId },
        data: { status: 'past_due', fetchedAt: later },
      });
      expect((await sync(project.token, project.projectId).expect(200)).body).toEqual({
        ...NOTHING,
        fetched: 1,
        unchanged: 1,
      });
      expect(await storedSubscription(project.projectId, subscriptionId)).toMatchObject({
        status: 'past_due',
        fetchedAt: later,
      });
    });

    it('restores a missing customer link from the metadata, and never takes a link from another user', async () => {
      const project = await newProject({ customers: ['cus_takenByBob', 'cus_carolsSecond'] });
      const customers = fixtures(testApp.app);
      // Alice's link was removed (e.g. by hand): her subscription has no user until the sync restores it.
      const alice = randomUUID();
      const { subscriptionId, customerId } = await subscribe(project, alice);
      await prisma.stripeCustomer.deleteMany({ where: { projectId: project.projectId, userId: alice } });
      // Metadata names Dave, but the customer is Bob's: it stays Bob's, and so is the subscription.
      const bob = randomUUID();
      const dave = randomUUID();
      await customers.linkCustomer(project.projectId, bob, 'test', 'cus_takenByBob');
      const [bobs] = stub.createSubscription(project.key, {
        customer: 'cus_takenByBob',
        price: project.price,
        metadata: { project_id: project.projectId, user_id: dave },
      });
      // Carol already has another customer: her link stands, and this subscription of an unlinked customer has no user.
      const carol = randomUUID();
      const { customerId: carolsCustomer } = await subscribe(project, carol);
      const [carols] = stub.createSubscription(project.key, {
        customer: 'cus_carolsSecond',
        price: project.price,
        metadata: { project_id: project.projectId, user_id: carol },
      });

      const response = await sync(project.token, project.projectId).expect(200);
      expect(response.body).toEqual({ ...NOTHING, fetched: 4, created: 4, links_restored: 1 });
      const links = await prisma.stripeCustomer.findMany({
        where: { projectId: project.projectId },
        select: { userId: true, stripeCustomerId: true },
      });
      expect(links.sort((a, b) => a.stripeCustomerId.localeCompare(b.stripeCustomerId))).toEqual(
        [
          { userId: alice, stripeCustomerId: customerId },
          { userId: bob, stripeCustomerId: 'cus_takenByBob' },
          { userId: carol, stripeCustomerId: carolsCustomer },
        ].sort((a, b) => a.stripeCustomerId.localeCompare(b.stripeCustomerId)),
      );
      expect(await storedSubscription(project.projectId, subscriptionId)).toMatchObject({ userId: alice });
      expect(await storedSubscription(project.projectId, subscriptionOf(bobs))).toMatchObject({ userId: bob });
      expect(await storedSubscription(project.projectId, subscriptionOf(carols))).toMatchObject({ userId: null });
      // The end user's portal opens again with the restored link.
      await request(server())
        .post('/api/v1/payments/stripe/customer-portal?test_mode=true')
        .set('Authorization', `Bearer ${endUserToken(alice, project.projectId)}`)
        .send({ return_url: 'https://app.example.com/account' })
        .expect(200);
    });

    it("pages through more than one page of Stripe's, fetching each product once", async () => {
      const project = await newProject({ customers: ['cus_many'] });
      const created = Array.from({ length: 103 }, () =>
        subscriptionOf(
          stub.createSubscription(project.key, {
            customer: 'cus_many',
            price: project.price,
            metadata: { project_id: project.projectId },
          })[0],
        ),
      );
      stub.reset();
      const response = await sync(project.token, project.projectId).expect(200);
      expect(response.body).toEqual({ ...NOTHING, fetched: 103, created: 103 });
      const newest = created.reverse();
      expect(
        stub.requestsWithKey(project.key).map(({ method, path }) => `${method} ${decodeURIComponent(path)}`),
      ).toEqual([
        'GET /v1/subscriptions?status=all&limit=100',
        expect.stringMatching(/^GET \/v1\/products\/prod_\w+$/),
        `GET /v1/subscriptions?status=all&limit=100&starting_after=${newest[99]}`,
      ]);
      expect(await prisma.subscription.count({ where: { projectId: project.projectId, planName: 'Pro' } })).toBe(103);
    });

    it("ignores another project's subscriptions in a shared Stripe account, and a customer no user of it has", async () => {
      const project = await newProject({ customers: ['cus_linked', 'cus_stranger'] });
      const other = randomUUID();
      await fixtures(testApp.app).createProject({ id: other, name: 'other', ownerId: randomUUID() });
      await fixtures(testApp.app).linkCustomer(project.projectId, randomUUID(), 'test', 'cus_linked');
      const [foreign] = stub.createSubscription(project.key, {
        customer: 'cus_linked',
        price: project.price,
        metadata: { project_id: other },
      });
      stub.createSubscription(project.key, { customer: 'cus_stranger', price: project.price });
      const [unnamed] = stub.createSubscription(project.key, { customer: 'cus_linked', price: project.price });

      expect((await sync(project.token, project.projectId).expect(200)).body).toEqual({
        ...NOTHING,
        fetched: 3,
        created: 1,
        ignored: 2,
      });
      const stored = await prisma.subscription.findMany({ where: { projectId: { in: [project.projectId, other] } } });
      expect(stored.map((subscription) => subscription.stripeSubscriptionId)).toEqual([subscriptionOf(unnamed)]);
      expect(await storedSubscription(other, subscriptionOf(foreign))).toBeNull();
    });

    it('answers Stripe failures as the shared table says, keeping what was written before one', async () => {
      const project = await newProject({ customers: ['cus_failing'] });
      for (let index = 0; index < 101; index += 1) {
        stub.createSubscription(project.key, {
          customer: 'cus_failing',
          price: project.price,
          metadata: { project_id: project.projectId },
        });
      }
      stub.failAlwaysForKey(project.key, { kind: 'authentication' });
      expect((await sync(project.token, project.projectId).expect(502)).body).toEqual({
        detail:
          "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
      });
      stub.failAlwaysForKey(project.key, { kind: 'permission' });
      expect((await sync(project.token, project.projectId).expect(502)).body).toEqual({
        detail:
          "The project's test mode Stripe key lacks permission to read subscriptions or products; use a secret key, or grant the restricted key read access to Subscriptions and Products",
      });
      stub.failAlwaysForKey(project.key, undefined);
      // The first page and its product are read (a delay of nothing answers them as usual), then Stripe rate limits
      // the second page.
      stub.failNextForKey(
        project.key,
        { kind: 'slow', delayMs: 0 },
        { kind: 'slow', delayMs: 0 },
        { kind: 'rate-limit', retryAfter: 7 },
      );
      const limited = await sync(project.token, project.projectId).expect(503);
      expect(limited.body).toEqual({ detail: 'Stripe is rate limiting requests for this project; try again shortly' });
      expect(limited.headers['retry-after']).toBe('7');
      expect(await prisma.subscription.count({ where: { projectId: project.projectId } })).toBe(100);
      expect((await sync(project.token, project.projectId).expect(200)).body).toEqual({
        ...NOTHING,
        fetched: 101,
        created: 1,
        unchanged: 100,
      });
    });

    it('answers 404 when the mode has no Stripe key, or the project is not theirs', async () => {
      const project = await newProject();
      expect((await sync(project.token, project.projectId, '?test_mode=false').expect(404)).body).toEqual(
        NOT_CONFIGURED,
      );
      await request(server())
        .delete(`${BASE}/${project.projectId}/config`)
        .set('Authorization', `Bearer ${project.token}`)
        .expect(204);
      expect((await sync(project.token, project.projectId).expect(404)).body).toEqual(NOT_CONFIGURED);
      const stranger = accessToken({ sub: randomUUID() });
      expect((await sync(stranger, project.projectId).expect(404)).body).toEqual(PROJECT_NOT_FOUND);
      expect((await sync(project.token, randomUUID()).expect(404)).body).toEqual(PROJECT_NOT_FOUND);
      expect(stub.requestsWithKey(project.key)).toEqual([]);
    });

    it('answers 401, 403 and 422 before anything else', async () => {
      const project = await newProject();
      await sync(undefined, project.projectId).expect(401);
      const endUser = endUserToken(randomUUID(), project.projectId);
      expect((await sync(endUser, project.projectId).expect(403)).body).toEqual(DEVELOPER_REQUIRED);
      expect((await sync(project.token, project.projectId, '?test_mode=sometimes').expect(422)).body).toEqual(
        BAD_TEST_MODE,
      );
      expect((await sync(project.token, 'not-a-uuid').expect(422)).body).toEqual(BAD_PROJECT_ID);
      expect(stub.requestsWithKey(project.key)).toEqual([]);
    });

    it('shares the per-developer limit of Stripe key checks: 10 a minute, then 429 without calling Stripe', async () => {
      const project = await newProject();
      for (let index = 0; index < 9; index += 1) await sync(project.token, project.projectId).expect(200);
      await request(server())
        .post(`${BASE}/${project.projectId}/validate-credentials`)
        .set('Authorization', `Bearer ${project.token}`)
        .send({ secret_key: project.key })
        .expect(200);
      const stripeRequests = stub.requestCount;
      const refused = await sync(project.token, project.projectId).expect(429);
      expect(refused.body).toEqual({
        detail: expect.stringMatching(
          /^Too many Stripe key checks \(credential validations, customer links and syncs share one limit\); try again in \d+ seconds$/,
        ),
        retry_after: expect.any(Number),
      });
      expect(stub.requestCount).toBe(stripeRequests);
      // Another developer is not limited by it.
      const other = await newProject();
      await sync(other.token, other.projectId).expect(200);
    });
  });
});
