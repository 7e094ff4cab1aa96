import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { endUserToken } from './support/tokens.js';
import { fixtures } from './support/fixtures.js';

const PATH = '/api/v1/payments/stripe/customer-portal';
const CLOSED_PORT_URL = 'http://127.0.0.1:9';
const RECOVERY_KEY = 'sk_test_51RecoveryKey000000yyyy';

describe('when Stripe cannot be reached', () => {
  let testApp: TestApp;
  const project = randomUUID();
  const user = randomUUID();

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: CLOSED_PORT_URL, STRIPE_MAX_NETWORK_RETRIES: '1' });
    const projects = fixtures(testApp.app);
    await projects.createProject({ id: project, name: 'p', ownerId: randomUUID() });
    await projects.setModeCredentials(project, 'test', { secretKey: 'sk_test_unreachable0000' });
    await projects.linkCustomer(project, user, 'test', 'cus_unreachable');
  });

  afterAll(() => testApp?.close());

  it('answers 503 with Retry-After, after the SDK retries', async () => {
    const response = await request(testApp.app.getHttpServer())
      .post(PATH)
      .set('Authorization', `Bearer ${endUserToken(user, project)}`)
      .send({ return_url: 'https://example.com/billing' })
      .expect(503);
    expect(response.body).toEqual({ detail: 'Stripe could not be reached; try again shortly' });
    expect(response.headers['retry-after']).toBe('2');
  });
});

describe('when PostgreSQL cannot be reached', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:9/none', MIGRATE_ON_START: 'false' });
  });

  afterAll(() => testApp?.close());

  it('answers 503 with Retry-After and a clear detail, never a 500', async () => {
    const response = await request(testApp.app.getHttpServer())
      .post(PATH)
      .set('Authorization', `Bearer ${endUserToken(randomUUID(), randomUUID())}`)
      .send({ return_url: 'https://example.com/billing' })
      .expect(503);
    expect(response.body).toEqual({ detail: 'The database is temporarily unavailable; try again shortly' });
    expect(response.headers['retry-after']).toBe('5');
  });
});

/** A TCP relay to PostgreSQL that the test can cut and restore, as a network partition would. */
class CuttableRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

// Only PostgreSQL can become unreachable: embedded PGlite lives inside the process.
if (process.env.DATABASE_URL) {
  describe('when PostgreSQL goes away and comes back', () => {
    const stripe = new StripeStub();
    let database: TestDatabase;
    let relay: CuttableRelay;
    let testApp: TestApp;
    const project = randomUUID();
    const user = randomUUID();

    beforeAll(async () => {
      database = await createTestDatabase('recovery');
      const direct = new URL(database.env.DATABASE_URL);
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const relayPort = (server.address() as { port: number }).port;
      await new Promise((resolve) => server.close(resolve));
      relay = new CuttableRelay({ host: direct.hostname, port: Number(direct.port || 5432) }, relayPort);
      await relay.open();
      const viaRelay = new URL(direct);
      viaRelay.host = `127.0.0.1:${relayPort}`;
      testApp = await startTestApp({ DATABASE_URL: viaRelay.toString(), STRIPE_API_BASE_URL: await stripe.start() });
      const projects = fixtures(testApp.app);
      await projects.createProject({ id: project, name: 'recovery', ownerId: randomUUID() });
      await projects.setModeCredentials(project, 'test', { secretKey: RECOVERY_KEY });
      await projects.linkCustomer(project, user, 'test', 'cus_recovery');
      stripe.addAccount(RECOVERY_KEY, ['cus_recovery']);
    });

    afterAll(async () => {
      await testApp?.close();
      await relay?.cut();
      await stripe.stop();
      await database?.drop();
    });

    it('answers 503 while it is unreachable and recovers without a restart', async () => {
      const server = testApp.app.getHttpServer();
      const portal = () =>
        request(server)
          .post('/api/v1/payments/stripe/customer-portal')
          .set('Authorization', `Bearer ${endUserToken(user, project)}`)
          .send({ return_url: 'https://example.com/billing' });

      await portal().expect(200);
      await request(server).get('/api/v1/health/database').expect(200);

      await relay.cut();
      const down = await portal().expect(503);
      expect(down.body).toEqual({ detail: 'The database is temporarily unavailable; try again shortly' });
      expect(down.headers['retry-after']).toBe('5');
      await request(server).get('/api/v1/health/database').expect(503);

      await relay.open();
      await portal().expect(200);
      await request(server).get('/api/v1/health/database').expect(200);
    });
  });
}
