import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import request from 'supertest';
import { ANSWER_GRACE_MS } from '#libs/database';
import { StripeStub } from './support/stripe-stub.js';
import { StallableRelay } from './support/tcp-relay.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { accessToken, endUserToken } from './support/tokens.js';

/**
 * PostgreSQL failing the ways networks and servers fail, between the service (in-process, production wiring) and a
 * real PostgreSQL, through a loopback relay: a silent partition, statements that outlive the timeout, and every
 * connection reset under load. Each request must be answered in bounded time, and never with a 500.
 */
const SERVER_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const QUERY_TIMEOUT_MS = 1_000;
// The client gives up on an answer ANSWER_GRACE_MS after statement_timeout; the rest is slack for a busy machine.
const ANSWER_BOUND_MS = QUERY_TIMEOUT_MS + ANSWER_GRACE_MS + 1_000;
const UNAVAILABLE = { detail: 'The database is temporarily unavailable; try again shortly' };
const KEY = 'sk_test_51FaultsKey0000000000aaaa';

describe('PostgreSQL faults', () => {
  const stripe = new StripeStub({ record: false });
  const developer = `Bearer ${accessToken({ sub: randomUUID() })}`;
  const endUser = randomUUID();
  let database: TestDatabase;
  let relay: StallableRelay;
  let testApp: TestApp;
  let project: string;

  const server = () => testApp.app.getHttpServer();
  const config = () => `/api/v1/payments/stripe/projects/${project}/config`;
  const customer = (user: string) => `/api/v1/payments/stripe/projects/${project}/customers/${user}?test_mode=true`;
  const asDeveloper = {
    get: (path: string) => request(server()).get(path).set('Authorization', developer),
    put: (path: string, body: object) => request(server()).put(path).set('Authorization', developer).send(body),
    delete: (path: string) => request(server()).delete(path).set('Authorization', developer),
  };
  const portal = () =>
    request(server())
      .post('/api/v1/payments/stripe/customer-portal')
      .set('Authorization', `Bearer ${endUserToken(endUser, project)}`)
      .send({ return_url: 'https://app.example.com/billing' });

  /** What each endpoint answers when the database works. */
  const endpoints = (unlinkUser: string) => [
    { name: 'GET project', ok: 200, send: () => asDeveloper.get(`/api/v1/projects/${project}`) },
    { name: 'GET projects', ok: 200, send: () => asDeveloper.get('/api/v1/projects/') },
    { name: 'GET config', ok: 200, send: () => asDeveloper.get(config()) },
    { name: 'PUT config', ok: 200, send: () => asDeveloper.put(config(), { test_publishable_key: 'pk_test_faults' }) },
    { name: 'GET history', ok: 200, send: () => asDeveloper.get(`${config()}/history`) },
    { name: 'DELETE link', ok: 204, send: () => asDeveloper.delete(customer(unlinkUser)) },
    { name: 'portal', ok: 200, send: portal },
  ];

  const linkCustomer = async (user: string, stripeCustomer: string) =>
    asDeveloper.put(customer(user), { stripe_customer_id: stripeCustomer }).expect(200);

  /** A direct session (not through the relay) holding an exclusive lock on `table` until released. */
  const lockTable = async (table: string): Promise<() => Promise<void>> => {
    const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
    await client.connect();
    await client.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  };

  beforeAll(async () => {
    stripe.addAccount(KEY, ['cus_faultsPortal', 'cus_faultsUnlink', 'cus_faultsLoad']);
    database = await createTestDatabase('faults', SERVER_URL);
    const direct = new URL(database.env.DATABASE_URL);
    relay = new StallableRelay(direct.hostname, Number(direct.port || 5432));
    const viaRelay = new URL(direct);
    viaRelay.host = `127.0.0.1:${await relay.start()}`;
    testApp = await startTestApp({
      DATABASE_URL: viaRelay.toString(),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DATABASE_POOL_SIZE: '4',
      STRIPE_API_BASE_URL: await stripe.start(),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      RATE_LIMIT_CONFIG_PER_MINUTE: '100000',
    });
    project = (
      await request(server()).post('/api/v1/projects/').set('Authorization', developer).send({ name: 'Faults' })
    ).body.id as string;
    await asDeveloper.put(config(), { test_secret_key: KEY }).expect(200);
    await linkCustomer(endUser, 'cus_faultsPortal');
  });

  afterAll(async () => {
    relay?.resume();
    await testApp?.close();
    await relay?.stop();
    await stripe.stop();
    await database?.drop();
  });

  it('answers 503 with Retry-After within the query timeout while the network silently drops, then normally again', async () => {
    const unlinkUser = randomUUID();
    await linkCustomer(unlinkUser, 'cus_faultsUnlink');
    const calls = endpoints(unlinkUser);
    for (const call of calls.filter((c) => c.name !== 'DELETE link')) await call.send().expect(call.ok);

    relay.pause();
    const answers = [];
    for (const call of calls) {
      const started = Date.now();
      const response = await call.send();
      const elapsed = Date.now() - started;
      answers.push({
        name: call.name,
        status: response.status,
        retryAfter: response.headers['retry-after'],
        body: response.body as unknown,
        withinBound: elapsed >= QUERY_TIMEOUT_MS - 100 && elapsed <= ANSWER_BOUND_MS ? true : elapsed,
      });
    }
    const readiness = await request(server()).get('/api/v1/health/database');
    expect(answers).toEqual(
      calls.map(({ name }) => ({ name, status: 503, retryAfter: '5', body: UNAVAILABLE, withinBound: true })),
    );
    expect(readiness.status).toBe(503);

    relay.resume();
    const recovered = [];
    for (const call of calls) recovered.push({ name: call.name, status: (await call.send()).status });
    expect(recovered).toEqual(calls.map(({ name, ok }) => ({ name, status: ok })));
    await request(server()).get('/api/v1/health/database').expect(200);
  });

  it('rolls back a transaction whose statement outlives the timeout, and answers 503', async () => {
    const before = (await asDeveloper.get(`${config()}/history`).expect(200)).body as { total: number };
    const published = (await asDeveloper.get(config()).expect(200)).body as { test_publishable_key_masked: string };
    // The upsert of the configuration goes through; the history row it must be written with waits on the lock.
    const release = await lockTable('stripe_config_changes');
    let elapsed: number;
    try {
      const started = Date.now();
      const response = await asDeveloper.put(config(), { test_publishable_key: 'pk_test_neverStored' });
      elapsed = Date.now() - started;
      expect({ status: response.status, body: response.body as unknown }).toEqual({ status: 503, body: UNAVAILABLE });
    } finally {
      await release();
    }
    expect(elapsed).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    const after = (await asDeveloper.get(`${config()}/history`).expect(200)).body as { total: number };
    const unchanged = (await asDeveloper.get(config()).expect(200)).body as { test_publishable_key_masked: string };
    expect({ history: after.total, key: unchanged.test_publishable_key_masked }).toEqual({
      history: before.total,
      key: published.test_publishable_key_masked,
    });
  });

  it("bounds the portal's raw hot-path statement the same way", async () => {
    const release = await lockTable('stripe_configs');
    try {
      const started = Date.now();
      const response = await portal();
      const elapsed = Date.now() - started;
      expect({ status: response.status, retryAfter: response.headers['retry-after'], body: response.body }).toEqual({
        status: 503,
        retryAfter: '5',
        body: UNAVAILABLE,
      });
      expect(elapsed).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    } finally {
      await release();
    }
    await portal().expect(200);
  });

  it('answers only 2xx or 503 while every connection is reset under load, and recovers', async () => {
    const calls = endpoints(randomUUID()).filter((call) => call.name !== 'DELETE link');
    const statuses: number[] = [];
    let running = true;
    const worker = async (offset: number) => {
      for (let i = offset; running; i += 1) statuses.push((await calls[i % calls.length].send()).status);
    };
    const workers = Array.from({ length: 8 }, (_, index) => worker(index));
    for (let cut = 0; cut < 4; cut += 1) {
      await sleep(400);
      relay.reset();
    }
    await sleep(400);
    running = false;
    await Promise.all(workers);

    expect(statuses.length).toBeGreaterThan(40);
    expect([...new Set(statuses)].sort()).toEqual([200, 503]);
    const recovered = [];
    for (const call of calls) recovered.push({ name: call.name, status: (await call.send()).status });
    expect(recovered).toEqual(calls.map(({ name, ok }) => ({ name, status: ok })));
  });
});
