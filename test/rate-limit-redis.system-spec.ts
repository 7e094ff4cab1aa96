import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { REDIS_COMMAND_TIMEOUT_MS } from '#libs/rate-limit';
import { parseExposition, sampleValue } from './support/prometheus.js';
import {
  expectTooManyRequests,
  IP_LIMIT,
  LIMITS,
  portal,
  REDIS_URL,
  shown,
  Tenants,
  USER_LIMIT,
} from './support/rate-limit-fixtures.js';
import { timed, type Timed } from './support/rate-limit-reset.js';
import { StripeStub } from './support/stripe-stub.js';
import { StallableRelay } from './support/tcp-relay.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { endUserToken } from './support/tokens.js';

describe('rate limits with counters in Redis (a Redis server on 127.0.0.1:6379)', () => {
  const stripe = new StripeStub();

  beforeAll(async () => {
    await stripe.start();
  });

  afterAll(async () => {
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  describe('counters in Redis (REDIS_URL), shared by two instances', () => {
    const tenants = new Tenants(7);
    const prefix = `e2e-rate-limit-${randomBytes(6).toString('hex')}`;
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    const call = (app: TestApp | undefined, userId: string, forwardedFor?: string) =>
      portal(app!, { token: endUserToken(userId, tenants.projectA), forwardedFor });

    const keysUnderPrefix = async () => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      return found;
    };
    const connectionsNamed = async (name: string) =>
      ((await redis.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${name} `)).length;

    beforeAll(async () => {
      await redis.connect();
      const env = { STRIPE_API_BASE_URL: stripe.baseUrl, REDIS_URL, RATE_LIMIT_KEY_PREFIX: prefix, ...LIMITS };
      first = await startTestApp(env);
      second = await startTestApp(env);
      await tenants.provision(stripe, first, second);
    });

    // Each test starts with no counters: the prefix is this file's own.
    afterEach(async () => {
      const found = await keysUnderPrefix();
      if (found.length > 0) await redis.del(...found);
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      redis.disconnect();
    });

    it("shares a user's count: three requests over two instances use the budget, the fourth is refused", async () => {
      const user = tenants.freshUser();
      const answers = [await call(first, user), await call(second, user), await call(first, user)];
      expect(answers.map((response) => [response.status, shown(response).remaining])).toEqual([
        [200, '2'],
        [200, '1'],
        [200, '0'],
      ]);
      const resets = answers.map((response) => Number(response.headers['x-ratelimit-reset']));
      expect(Math.max(...resets) - Math.min(...resets)).toBeLessThanOrEqual(1);

      const retryAfter = expectTooManyRequests(await timed(call(second, user)), USER_LIMIT);
      expect(retryAfter).toBeGreaterThanOrEqual(58);

      const key = `${prefix}:end-user:${tenants.projectA}:${user}`;
      expect(await redis.get(key)).toBe('4');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('shares the per-address count, and ignores X-Forwarded-For without TRUST_PROXY', async () => {
      for (let attempt = 0; attempt < IP_LIMIT; attempt += 1) {
        const app = attempt % 2 === 0 ? first : second;
        await call(app, tenants.freshUser(), `203.0.113.${attempt}`).expect(200);
      }
      const limited = await timed(call(second, tenants.freshUser(), '203.0.113.200'));

      expectTooManyRequests(limited, IP_LIMIT);
      expect(await redis.get(`${prefix}:end-user-ip:127.0.0.1`)).toBe('6');
    });

    it('closes its Redis connection when the app closes', async () => {
      expect(await connectionsNamed(prefix)).toBe(2);
      await first!.close();
      first = undefined;
      expect(await connectionsNamed(prefix)).toBe(1);
      await second!.close();
      second = undefined;
      expect(await connectionsNamed(prefix)).toBe(0);
    });
  });

  describe('when Redis stalls (a relay in front of it holds every command)', () => {
    // Long enough that the stalled phase below ends before the first probe, even on a loaded machine.
    const BACKOFF_MS = 3000;
    const tenants = new Tenants(2);
    const prefix = `e2e-rate-limit-stall-${randomBytes(6).toString('hex')}`;
    const relay = new StallableRelay('127.0.0.1', 6379);
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    let logged = '';
    let testApp: TestApp | undefined;
    let fallbacksBefore = 0;

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
    const send = (userId: string) => timed(portal(testApp!, { token: endUserToken(userId, tenants.projectA) }));
    const rateLimitLogs = () =>
      logged
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: string; context?: string; msg: string })
        .filter(({ context }) => context === 'RateLimit')
        .map(({ level, msg }) => `${level} ${msg}`);
    const breakerMetrics = async () => {
      const samples = parseExposition((await request(testApp!.app.getHttpServer()).get('/metrics').expect(200)).text);
      return {
        open: sampleValue(samples, 'rate_limit_redis_breaker_open'),
        fallbacks: sampleValue(samples, 'rate_limit_redis_fallbacks_total') - fallbacksBefore,
      };
    };
    const elapsed = ({ sentAt, answeredAt }: Timed) => answeredAt - sentAt;
    const statusAndRemaining = ({ response }: Timed) => [response.status, shown(response).remaining];

    beforeAll(async () => {
      await redis.connect();
      const port = await relay.start();
      testApp = await startTestApp(
        {
          STRIPE_API_BASE_URL: stripe.baseUrl,
          REDIS_URL: `redis://127.0.0.1:${port}`,
          RATE_LIMIT_KEY_PREFIX: prefix,
          RATE_LIMIT_REDIS_BACKOFF_MS: String(BACKOFF_MS),
          RATE_LIMIT_USER_PER_MINUTE: String(USER_LIMIT),
          // Out of the way: the user's limit is the one these requests run into.
          RATE_LIMIT_IP_PER_MINUTE: '100',
          LOG_LEVEL: 'log',
        },
        { logDestination: { write: (line: string) => void (logged += line) } },
      );
      await tenants.provision(stripe, testApp);
      // A cold process can block its event loop past a command timeout: warm up until Redis counts a request.
      const warmUser = tenants.freshUser();
      for (let attempt = 1; ; attempt += 1) {
        await portal(testApp, { token: endUserToken(warmUser, tenants.projectA) }).expect(200);
        if ((await breakerMetrics()).open === 0) break;
        if (attempt === USER_LIMIT) throw new Error('Redis never counted a request through the relay');
        await sleep(BACKOFF_MS);
      }
      fallbacksBefore = (await breakerMetrics()).fallbacks;
      logged = '';
    });

    afterAll(async () => {
      relay.resume();
      await testApp?.close();
      const left = await redis.keys(`${prefix}:*`);
      if (left.length > 0) await redis.del(...left);
      redis.disconnect();
      await relay.stop();
    });

    it('waits on it once, then counts in the process without asking it, and shares counts again once it answers', async () => {
      const user = tenants.freshUser();
      const userKey = `${prefix}:end-user:${tenants.projectA}:${user}`;

      const shared = await send(user);
      expect(statusAndRemaining(shared)).toEqual([200, '2']);
      expect(await redis.get(userKey)).toBe('1');

      relay.pause();
      const first = await send(user);
      // One command (the address check) went out and waited out its timeout; the user check did not ask Redis.
      expect(elapsed(first)).toBeGreaterThanOrEqual(REDIS_COMMAND_TIMEOUT_MS - 5);
      expect(relay.heldText().match(/evalsha/gi)).toHaveLength(1);
      const heldAfterFirst = relay.heldText();
      const following = [];
      for (let call = 0; call < 5; call += 1) following.push(await send(user));

      expect(relay.heldText()).toBe(heldAfterFirst);
      // Counted in this process from 0 (Redis's count of 1 is not known here), and still limited.
      expect([first, ...following].map(statusAndRemaining)).toEqual([
        [200, '2'],
        [200, '1'],
        [200, '0'],
        [429, '0'],
        [429, '0'],
        [429, '0'],
      ]);
      // The refusals do no Stripe or database work: what is left of them is the two limit checks.
      for (const refused of following.slice(2)) expect(elapsed(refused)).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS);
      expect(await breakerMetrics()).toEqual({ open: 1, fallbacks: 12 });
      expect(rateLimitLogs()).toEqual([
        `warn Redis is unavailable for rate limiting (Command timed out); each instance counts on its own, trying Redis again every ${BACKOFF_MS} ms`,
      ]);

      relay.resume();
      // The breaker opened before the first stalled request was answered.
      await sleep(first.answeredAt + BACKOFF_MS + 50 - Date.now());
      const probe = await send(user);

      // Counted in Redis again: its count (1) plus this one, though this process alone refuses the user.
      expect(statusAndRemaining(probe)).toEqual([200, '1']);
      expect(await redis.get(userKey)).toBe('2');
      expect(await breakerMetrics()).toEqual({ open: 0, fallbacks: 12 });
      expect(rateLimitLogs()).toEqual([
        expect.stringMatching(/^warn Redis is unavailable for rate limiting/),
        'info Redis answers again; rate-limit counters are shared again',
      ]);
    });
  });
});
