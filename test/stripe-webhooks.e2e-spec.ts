import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { STRIPE_API_VERSION } from '#libs/stripe';
import { fixtures, type Fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The webhook endpoint over HTTP, as Stripe calls it: signed deliveries of events for a project and mode. This file
 * covers who may deliver (paths, bodies, signatures) and the event log; stripe-webhook-lifecycle.e2e-spec.ts covers
 * what the events write.
 */

const NOT_CONFIGURED = { detail: 'Project not found or Stripe not configured' };
const INVALID_SIGNATURE = { detail: 'Invalid signature' };
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const OTHER_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const TEST_KEY = 'sk_test_WWWWWWWWWWWWWWWWWWWWwwww';
const LIVE_KEY = 'sk_live_WWWWWWWWWWWWWWWWWWWWllll';

/** A minimal event of a type the service does not act on, as Stripe renders one. */
function unhandledEvent(overrides: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    id: `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `prod_${randomBytes(6).toString('hex')}`, object: 'product' } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'product.created',
    ...overrides,
  };
}

function sign(payload: string, secret = WEBHOOK_SECRET, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp !== undefined && { timestamp }) });
}

describe('POST /api/v1/payments/stripe/webhooks/{project_id}/{mode}: deliveries', () => {
  const stripe = new StripeStub();
  let testApp: TestApp;
  let projects: Fixtures;
  let prisma: PrismaService;
  const owner = randomUUID();
  const project = randomUUID();
  const projectWithoutSecret = randomUUID();
  const projectDeactivated = randomUUID();

  const path = (projectId: string, mode: string) => `/api/v1/payments/stripe/webhooks/${projectId}/${mode}`;
  const deliver = (
    projectId: string,
    mode: string,
    payload: string,
    signature: string | undefined,
    contentType = 'application/json; charset=utf-8',
  ) => {
    const call = request(testApp.app.getHttpServer()).post(path(projectId, mode)).set('Content-Type', contentType);
    return (signature === undefined ? call : call.set('Stripe-Signature', signature)).send(payload);
  };
  const storedEvents = (projectId: string) =>
    prisma.webhookEvent.findMany({ where: { projectId }, orderBy: { receivedAt: 'asc' } });
  const signatureFailures = async (projectId: string, mode: 'test' | 'live') =>
    (await prisma.webhookSignatureFailure.findMany({ where: { projectId, mode } })).reduce(
      (sum, row) => sum + row.failures,
      0,
    );

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: await stripe.start() });
    projects = fixtures(testApp.app);
    prisma = testApp.app.get(PrismaService);
    for (const id of [project, projectWithoutSecret, projectDeactivated]) {
      await projects.createProject({ id, name: `webhooks ${id.slice(0, 8)}`, ownerId: owner });
    }
    await projects.setModeCredentials(project, 'test', { secretKey: TEST_KEY, webhookSecret: WEBHOOK_SECRET });
    await projects.setModeCredentials(project, 'live', { secretKey: LIVE_KEY, webhookSecret: OTHER_SECRET });
    await projects.setModeCredentials(projectWithoutSecret, 'test', { secretKey: TEST_KEY });
    await projects.setModeCredentials(projectDeactivated, 'test', {
      secretKey: TEST_KEY,
      webhookSecret: WEBHOOK_SECRET,
    });
    await prisma.stripeConfig.update({ where: { projectId: projectDeactivated }, data: { isActive: false } });
    stripe.addAccount(TEST_KEY, []);
    stripe.addAccount(LIVE_KEY, []);
  });

  afterAll(async () => {
    await testApp?.close();
    await stripe.stop();
  });

  describe('path and body', () => {
    it('answers 422 in the reference shape for a project_id that is not a UUID', async () => {
      const payload = JSON.stringify(unhandledEvent());
      const response = await deliver('not-a-uuid', 'test', payload, sign(payload)).expect(422);
      expect(response.body).toEqual({
        detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
      });
    });

    it.each(['Test', 'production', 'tests'])('answers 422 for the mode %p', async (mode) => {
      const payload = JSON.stringify(unhandledEvent());
      const response = await deliver(project, mode, payload, sign(payload)).expect(422);
      expect(response.body).toEqual({
        detail: [{ loc: ['path', 'mode'], msg: "Input should be 'test' or 'live'", type: 'literal_error' }],
      });
    });

    it('answers 404 for an unknown project and for a mode without a signing secret', async () => {
      const payload = JSON.stringify(unhandledEvent());
      expect((await deliver(randomUUID(), 'test', payload, sign(payload)).expect(404)).body).toEqual(NOT_CONFIGURED);
      expect((await deliver(projectWithoutSecret, 'test', payload, sign(payload)).expect(404)).body).toEqual(
        NOT_CONFIGURED,
      );
      expect((await deliver(projectWithoutSecret, 'live', payload, sign(payload)).expect(404)).body).toEqual(
        NOT_CONFIGURED,
      );
      expect(await storedEvents(projectWithoutSecret)).toEqual([]);
    });

    it('answers 415 for a body that is not JSON, and for a compressed one', async () => {
      const payload = JSON.stringify(unhandledEvent());
      const plain = await deliver(project, 'test', payload, sign(payload), 'text/plain').expect(415);
      expect(plain.body).toEqual({ detail: 'Unsupported media type; send application/json' });
      // Content types Fastify cannot parse at all get the same answer.
      for (const contentType of ['application', 'application/json, text/plain', '!#@]z$']) {
        const malformed = await deliver(project, 'test', payload, sign(payload), contentType).expect(415);
        expect(malformed.body).toEqual({ detail: 'Unsupported media type; send application/json' });
      }
      const gzipped = await request(testApp.app.getHttpServer())
        .post(path(project, 'test'))
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .set('Stripe-Signature', sign(payload))
        .send(payload)
        .expect(415);
      expect(gzipped.body).toEqual({ detail: 'Unsupported request body encoding or charset; send UTF-8 JSON' });
    });

    it('answers 413 beyond 1 MiB, and accepts a signed body just under it', async () => {
      const filler = 'x'.repeat(1_048_576);
      const tooLarge = JSON.stringify(unhandledEvent({ filler }));
      const response = await deliver(project, 'test', tooLarge, sign(tooLarge)).expect(413);
      expect(response.body).toEqual({ detail: 'Request body is larger than the limit of 1048576 bytes' });

      const base = JSON.stringify(unhandledEvent({ filler: '' }));
      const large = JSON.stringify(unhandledEvent({ filler: 'y'.repeat(1_048_576 - base.length - 100) }));
      expect((await deliver(project, 'test', large, sign(large)).expect(200)).body).toEqual({ received: true });
    });
  });

  describe('signatures', () => {
    it('answers 400 for a missing, malformed, wrong-secret or stale signature, storing only a counter', async () => {
      const before = await signatureFailures(project, 'test');
      const event = unhandledEvent();
      const payload = JSON.stringify(event);
      const fiveMinutesAndMoreAgo = Math.floor(Date.now() / 1000) - 301;
      const bad = [
        undefined,
        '',
        'garbage',
        't=123,v1=abc',
        sign(payload, OTHER_SECRET),
        sign(payload, WEBHOOK_SECRET, fiveMinutesAndMoreAgo),
        sign(`${payload} `),
      ];
      for (const signature of bad) {
        const response = await deliver(project, 'test', payload, signature).expect(400);
        expect(response.body).toEqual(INVALID_SIGNATURE);
      }
      expect(await signatureFailures(project, 'test')).toBe(before + bad.length);
      const rows = await prisma.webhookSignatureFailure.findMany({ where: { projectId: project, mode: 'test' } });
      expect(rows).toHaveLength(1);
      expect(rows[0].hour.getUTCMinutes()).toBe(0);
      expect(Date.now() - rows[0].lastFailureAt.getTime()).toBeLessThan(60_000);
      expect((await storedEvents(project)).map((row) => row.stripeEventId)).not.toContain(event.id);
    });

    it('refuses headers whose comparison cannot even run, and bytes that are not the plain UTF-8 Stripe sends', async () => {
      const payload = JSON.stringify(unhandledEvent());
      const now = Math.floor(Date.now() / 1000);
      const overNaN = createHmac('sha256', WEBHOOK_SECRET).update(`NaN.${payload}`).digest('hex');
      for (const signature of [
        `t=${now},v1=`,
        `t=${now},v1=${'é'.repeat(64)}`,
        `t=${now},v1=${'a'.repeat(10_000)}`,
        // Right secret, but a time no age limit can judge.
        `t=NaN,v1=${overNaN}`,
      ]) {
        expect((await deliver(project, 'test', payload, signature).expect(400)).body).toEqual(INVALID_SIGNATURE);
      }
      // Signed over the text a decoder gives back: without the byte order mark, with U+FFFD for the invalid byte.
      const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(payload)]);
      const invalidUtf8 = Buffer.concat([Buffer.from(payload.slice(0, -1)), Buffer.from([0xff]), Buffer.from('}')]);
      for (const [bytes, signedText] of [
        [withBom, payload],
        [invalidUtf8, invalidUtf8.toString('utf8')],
      ] as const) {
        const response = await request(testApp.app.getHttpServer())
          .post(path(project, 'test'))
          .set('Content-Type', 'application/json')
          .set('Stripe-Signature', sign(signedText))
          .send(bytes)
          .expect(400);
        expect(response.body).toEqual(INVALID_SIGNATURE);
      }
    });

    it("verifies with the mode's own secret and refuses an event whose livemode is the other mode's", async () => {
      const liveEvent = JSON.stringify(unhandledEvent({ livemode: true }));
      expect((await deliver(project, 'live', liveEvent, sign(liveEvent, OTHER_SECRET)).expect(200)).body).toEqual({
        received: true,
      });
      // The test secret does not open the live endpoint.
      expect((await deliver(project, 'live', liveEvent, sign(liveEvent)).expect(400)).body).toEqual(INVALID_SIGNATURE);

      const before = await signatureFailures(project, 'test');
      const mismatched = JSON.stringify(unhandledEvent({ livemode: true }));
      const response = await deliver(project, 'test', mismatched, sign(mismatched)).expect(400);
      expect(response.body).toEqual({ detail: "Event livemode (live) does not match this endpoint's mode (test)" });
      expect(await signatureFailures(project, 'test')).toBe(before + 1);
    });

    it('checks the exact bytes: the same event re-serialised with other spacing does not verify', async () => {
      const event = unhandledEvent();
      const compact = JSON.stringify(event);
      const pretty = JSON.stringify(event, null, 2);
      expect((await deliver(project, 'test', pretty, sign(compact)).expect(400)).body).toEqual(INVALID_SIGNATURE);
      expect((await deliver(project, 'test', pretty, sign(pretty)).expect(200)).body).toEqual({ received: true });
    });

    it('answers 400 naming the problem for a signed body that is not a usable event', async () => {
      const cases: [string, string][] = [
        ['not json', 'Invalid payload: the signed body is not a JSON event'],
        [JSON.stringify({ ...unhandledEvent(), id: 42 }), 'Invalid payload: the event has no valid id'],
        [JSON.stringify({ ...unhandledEvent(), type: undefined }), 'Invalid payload: the event has no type'],
        [
          JSON.stringify({ ...unhandledEvent(), created: 'yesterday' }),
          'Invalid payload: the event has no created time',
        ],
        [
          JSON.stringify({ ...unhandledEvent(), type: 'customer.subscription.updated', data: { object: {} } }),
          'Invalid payload: the event names no object',
        ],
        ['null', 'Invalid payload: the signed body is not a JSON event'],
        ['[1, 2]', 'Invalid payload: the signed body is not a JSON event'],
        [
          JSON.stringify({ ...unhandledEvent(), object: 'v2.core.event' }),
          'Invalid payload: the signed body is not a JSON event',
        ],
        // What the database could not store, or could not tell apart from another id.
        [JSON.stringify({ ...unhandledEvent(), id: 'evt_\u0000' }), 'Invalid payload: the event has no valid id'],
        [JSON.stringify({ ...unhandledEvent(), id: 'evt_\ud800' }), 'Invalid payload: the event has no valid id'],
        [JSON.stringify({ ...unhandledEvent(), created: 1e300 }), 'Invalid payload: the event has no created time'],
        [
          JSON.stringify({ ...unhandledEvent(), api_version: '2026\u0000' }),
          'Invalid payload: the event has an invalid api_version',
        ],
      ];
      for (const [payload, detail] of cases) {
        const response = await deliver(project, 'test', payload, sign(payload)).expect(400);
        expect(response.body).toEqual({ detail });
      }
    });
  });

  describe('the event log', () => {
    it('stores an unhandled event once as ignored; a redelivery answers 200 and changes nothing', async () => {
      const event = unhandledEvent();
      const payload = JSON.stringify(event);
      for (let delivery = 0; delivery < 3; delivery += 1) {
        expect((await deliver(project, 'test', payload, sign(payload)).expect(200)).body).toEqual({ received: true });
      }
      const rows = (await storedEvents(project)).filter((row) => row.stripeEventId === event.id);
      expect(rows).toEqual([
        expect.objectContaining({
          mode: 'test',
          type: 'product.created',
          status: 'ignored',
          attempts: 1,
          apiVersion: STRIPE_API_VERSION,
          eventCreatedAt: new Date((event.created as number) * 1000),
          lastError: null,
          leaseUntil: null,
        }),
      ]);
      expect(stripe.requestsWithKey(TEST_KEY)).toEqual([]);
    });

    it('stores the same event id separately per mode and project', async () => {
      const id = `evt_${randomBytes(12).toString('hex')}`;
      const testPayload = JSON.stringify(unhandledEvent({ id }));
      const livePayload = JSON.stringify(unhandledEvent({ id, livemode: true }));
      await deliver(project, 'test', testPayload, sign(testPayload)).expect(200);
      await deliver(project, 'live', livePayload, sign(livePayload, OTHER_SECRET)).expect(200);
      await deliver(projectDeactivated, 'test', testPayload, sign(testPayload)).expect(200);
      const rows = await prisma.webhookEvent.findMany({ where: { stripeEventId: id } });
      expect(rows.map((row) => `${row.projectId}/${row.mode}`).sort()).toEqual(
        [`${project}/test`, `${project}/live`, `${projectDeactivated}/test`].sort(),
      );
    });
  });
});
