import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort } from './support/ports.js';
import { startService, waitForOutput } from './support/service-process.js';
import { StripeStub } from './support/stripe-stub.js';
import { accessToken, endUserToken, TEST_JWT_SECRET } from './support/tokens.js';

const KEY = 'sk_test_51ShutdownKey000000zzzz';

describe('graceful shutdown of the compiled service', () => {
  const stripe = new StripeStub();
  let dataDir: string;

  beforeAll(async () => {
    await stripe.start();
    stripe.addAccount(KEY, ['cus_shutdown']);
    dataDir = mkdtempSync(join(tmpdir(), 'shutdown-'));
  });

  afterAll(async () => {
    await stripe.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('on SIGTERM stops accepting connections, finishes the in-flight request, and exits 0', async () => {
    const port = await freePort();
    const service = startService(dataDir, {
      PORT: String(port),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      STRIPE_API_BASE_URL: stripe.baseUrl,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForOutput(service, /Listening on/);

      // Provision over REST: a project with test keys and one linked customer.
      const developer = `Bearer ${accessToken({ sub: randomUUID() })}`;
      const project = (
        await request(base).post('/api/v1/projects/').set('Authorization', developer).send({ name: 'p' }).expect(201)
      ).body.id as string;
      await request(base)
        .put(`/api/v1/payments/stripe/projects/${project}/config`)
        .set('Authorization', developer)
        .send({ test_secret_key: KEY })
        .expect(200);
      const user = randomUUID();
      await request(base)
        .put(`/api/v1/payments/stripe/projects/${project}/customers/${user}?test_mode=true`)
        .set('Authorization', developer)
        .send({ stripe_customer_id: 'cus_shutdown' })
        .expect(200);

      // A portal request that Stripe holds for 1.5 s is in flight when the signal arrives.
      stripe.failNext({ kind: 'slow', delayMs: 1_500 });
      const inFlight = request(base)
        .post('/api/v1/payments/stripe/customer-portal')
        .set('Authorization', `Bearer ${endUserToken(user, project)}`)
        .send({ return_url: 'https://example.com/billing' });
      const answered = inFlight.then((response) => response);
      while (stripe.requests.filter((sent) => sent.path === '/v1/billing_portal/sessions').length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const signalled = Date.now();
      service.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));

      await expect(request(base).get('/health')).rejects.toThrow(/ECONNREFUSED/);
      const response = await answered;
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\//) });

      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(service.output()).toMatch(/SIGTERM received: finishing in-flight requests/);
    } finally {
      service.child.kill('SIGKILL');
    }
  });
});
