import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProjectBulkhead } from '#libs/stripe';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { endUserToken } from './support/tokens.js';
import { fixtures } from './support/fixtures.js';

// CI runs the full minute of load; SOAK_SECONDS=10 shortens it locally.
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
/** The first quarter of the load (at most 15 s) warms up JIT, pools and allocator before memory is measured. */
const WARMUP_SECONDS = Math.min(15, Math.round(SOAK_SECONDS / 4));
const MEASURED_SECONDS = SOAK_SECONDS - WARMUP_SECONDS;
const CLIENTS = 16;
const PROJECTS = 4;
const USERS_PER_PROJECT = 4;
/**
 * Growth from after warm-up to the end, both after a full GC. RSS also holds native memory the GC does not hand back
 * (allocator arenas; V8's compiler alone peaks near 100 MB of malloc), while the JS heap and PGlite's WebAssembly
 * memory stay flat: from after a 15 s warm-up RSS grew -0.3 to +50 MB here, hence a generous bound. The JS heap is
 * the precise leak detector: -1.2 to +2.6 MB when nothing leaks, while a stub keeping ~1 KB per request grew it by
 * 6 to 10 MB.
 */
const MAX_RSS_GROWTH_MB = 100;
const MAX_HEAP_GROWTH_MB = 5;
/** A request that takes this long counts as hung. */
const CLIENT_TIMEOUT_MS = 15_000;

const PORTAL = '/api/v1/payments/stripe/customer-portal?test_mode=true';
const BODY = JSON.stringify({ return_url: 'https://myapp.example.com/account/billing' });
const PORTAL_URL = /^https:\/\/billing\.stripe\.com\/p\/session\/test_\w+$/;

interface Tally {
  requests: number;
  ok: number;
  byStatus: Map<number, number>;
  /** 200s whose body is not exactly `{"portal_url": <a Stripe session URL>}`. */
  badBodies: number;
  socketErrors: Map<string, number>;
  latenciesMs: number[];
}

describe('soak: the customer portal under steady load through the real stack', () => {
  const stripe = new StripeStub({ record: false });
  let testApp: TestApp;
  let port: number;
  const tokens: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

  beforeAll(async () => {
    const stubUrl = await stripe.start();
    // Thousands of requests a minute from one address and few users: rate limits would answer 429 first.
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: stubUrl,
      RATE_LIMIT_USER_PER_MINUTE: '1000000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000000',
    });
    port = (testApp.app.getHttpServer().address() as AddressInfo).port;
    const projects = fixtures(testApp.app);
    for (let p = 0; p < PROJECTS; p += 1) {
      const projectId = randomUUID();
      const key = `sk_test_SOAK${p}${'x'.repeat(20)}`;
      await projects.createProject({ id: projectId, name: `soak ${p}`, ownerId: randomUUID() });
      await projects.setModeCredentials(projectId, 'test', { secretKey: key });
      const customers: string[] = [];
      for (let u = 0; u < USERS_PER_PROJECT; u += 1) {
        const userId = randomUUID();
        const customer = `cus_soak${p}x${u}`;
        await projects.linkCustomer(projectId, userId, 'test', customer);
        customers.push(customer);
        tokens.push(endUserToken(userId, projectId, { expiresInSeconds: SOAK_SECONDS + 600 }));
      }
      stripe.addAccount(key, customers);
    }
  });

  afterAll(async () => {
    agent.destroy();
    await testApp?.close();
    await stripe.stop();
  });

  it(
    `answers every request 200 for ${SOAK_SECONDS} s at ${CLIENTS} concurrent keep-alive clients, with bounded RSS growth`,
    async () => {
      const gc = exposeGc();
      const warmup = await load(WARMUP_SECONDS);
      expect(summary(warmup)).toEqual(clean(warmup.requests));

      const before = memoryAfterGc(gc);
      const rssSamples: number[] = [];
      const sampler = setInterval(() => rssSamples.push(mb(process.memoryUsage().rss)), 5_000);
      const soak = await load(MEASURED_SECONDS).finally(() => clearInterval(sampler));
      const after = memoryAfterGc(gc);

      const latencies = soak.latenciesMs.sort((a, b) => a - b);
      const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
      const rssGrowth = after.rss - before.rss;
      console.log(
        [
          `soak: ${WARMUP_SECONDS} s warm-up (${warmup.requests} requests, all 200) + ${MEASURED_SECONDS} s measured, ` +
            `${CLIENTS} clients: ${soak.requests} requests (${(soak.requests / MEASURED_SECONDS).toFixed(0)}/s), ` +
            `statuses ${JSON.stringify(Object.fromEntries(soak.byStatus))}, socket errors ${soak.socketErrors.size}`,
          `latency p50 ${percentile(0.5).toFixed(1)} ms, p99 ${percentile(0.99).toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`,
          `RSS after warm-up ${before.rss.toFixed(1)} MB, at the end ${after.rss.toFixed(1)} MB (growth ${rssGrowth.toFixed(1)} MB, ` +
            `bound ${MAX_RSS_GROWTH_MB} MB, ${gc ? 'after forced GC' : 'no GC available'}); heap used ` +
            `${before.heapUsed.toFixed(1)} -> ${after.heapUsed.toFixed(1)} MB (bound +${MAX_HEAP_GROWTH_MB} MB); ` +
            `RSS every 5 s: ${rssSamples.join(', ')}`,
        ].join('\n'),
      );

      expect(summary(soak)).toEqual(clean(soak.requests));
      // The throughput is whatever the machine gives; only a stall would drop it this low.
      expect(soak.requests).toBeGreaterThan(MEASURED_SECONDS * 20);
      // One Stripe call per answer, no more (no retries, no strays), and no project left holding a slot.
      expect(stripe.requestCount).toBe(warmup.ok + soak.ok);
      expect(testApp.app.get(ProjectBulkhead).busyProjects).toBe(0);
      expect(rssGrowth).toBeLessThan(MAX_RSS_GROWTH_MB);
      expect(after.heapUsed - before.heapUsed).toBeLessThan(MAX_HEAP_GROWTH_MB);
    },
    (SOAK_SECONDS + 60) * 1000,
  );

  /** CLIENTS loops, each sending its next request as soon as the previous one is answered, for `seconds`. */
  async function load(seconds: number): Promise<Tally> {
    const tally: Tally = {
      requests: 0,
      ok: 0,
      byStatus: new Map(),
      badBodies: 0,
      socketErrors: new Map(),
      latenciesMs: [],
    };
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = client; performance.now() < deadline; i += CLIENTS) {
          const started = performance.now();
          tally.requests += 1;
          try {
            const { status, text } = await post(tokens[i % tokens.length]);
            tally.latenciesMs.push(performance.now() - started);
            tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
            if (status !== 200) continue;
            tally.ok += 1;
            if (!isPortalAnswer(text)) tally.badBodies += 1;
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
            tally.socketErrors.set(code, (tally.socketErrors.get(code) ?? 0) + 1);
          }
        }
      }),
    );
    return tally;
  }

  function post(token: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const call = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: PORTAL,
          method: 'POST',
          agent,
          timeout: CLIENT_TIMEOUT_MS,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(BODY),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      call.on('timeout', () => call.destroy(new Error('client timeout: no answer')));
      call.on('error', reject);
      call.end(BODY);
    });
  }
});

/** What a clean run looks like: every request a 200 with a portal URL, nothing else. */
function clean(requests: number) {
  return { statuses: { 200: requests }, badBodies: 0, socketErrors: {} };
}

function summary(tally: Tally) {
  return {
    statuses: Object.fromEntries(tally.byStatus),
    badBodies: tally.badBodies,
    socketErrors: Object.fromEntries(tally.socketErrors),
  };
}

function isPortalAnswer(text: string): boolean {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return Object.keys(body).length === 1 && typeof body.portal_url === 'string' && PORTAL_URL.test(body.portal_url);
  } catch {
    return false;
  }
}

/** V8's gc(), also when node was started without --expose-gc (a fresh context picks up the flag). */
function exposeGc(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function memoryAfterGc(gc: (() => void) | undefined): { rss: number; heapUsed: number } {
  gc?.();
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: mb(rss), heapUsed: mb(heapUsed) };
}

function mb(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
