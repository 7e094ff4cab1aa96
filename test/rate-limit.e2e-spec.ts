import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken, WRONG_JWT_SECRET } from './support/tokens.js';
import { freePort as closedPort } from './support/ports.js';
import { expectResetWithin, timed, type Timed } from './support/rate-limit-reset.js';
import { fixtures } from './support/fixtures.js';
import { parseExposition, sampleValue } from './support/prometheus.js';
import { StallableRelay } from './support/tcp-relay.js';
import { REDIS_COMMAND_TIMEOUT_MS } from '#libs/rate-limit';

const PATH = '/api/v1/payments/stripe/customer-portal';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const REDIS_URL = 'redis://127.0.0.1:6379';
const USER_LIMIT = 3;
const IP_LIMIT = 5;
const LIMITS = { RATE_LIMIT_USER_PER_MINUTE: String(USER_LIMIT), RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT) };
const keys = { a: 'sk_test_RATELIMITaaaaaaaaaaaaaaaa', b: 'sk_test_RATELIMITbbbbbbbbbbbbbbbb' };

/** Two projects whose end users all have a Stripe customer, provisioned identically in each app's own database. */
class Tenants {
  readonly projectA = randomUUID();
  readonly projectB = randomUUID();
  private readonly users: string[];
  private used = 0;

  constructor(count: number) {
    this.users = Array.from({ length: count }, () => randomUUID());
  }

  async provision(stripe: StripeStub, ...apps: TestApp[]): Promise<void> {
    const customers = this.users.map((_, index) => `cus_rateLimit${index}`);
    stripe.addAccount(keys.a, customers);
    stripe.addAccount(keys.b, customers);
    for (const { app } of apps) {
      const projects = fixtures(app);
      const owner = randomUUID();
      for (const [projectId, key] of [
        [this.projectA, keys.a],
        [this.projectB, keys.b],
      ]) {
        await projects.createProject({ id: projectId, name: 'rate limited', ownerId: owner });
        await projects.setModeCredentials(projectId, 'test', { secretKey: key });
        for (const [index, userId] of this.users.entries()) {
          await projects.linkCustomer(projectId, userId, 'test', customers[index]);
        }
      }
    }
  }

  /** An end user no test has used yet (in both projects). */
  freshUser(): string {
    if (this.used === this.users.length) throw new Error('provision more users');
    return this.users[this.used++];
  }
}

let lastAddress = 0;
/** A client address no test has used yet (documentation range 198.51.100.0/24). */
const freshAddress = () => `198.51.100.${++lastAddress}`;

function portal(app: TestApp, options: { token?: string; forwardedFor?: string; body?: object } = {}) {
  let call = request(app.app.getHttpServer()).post(PATH);
  if (options.token !== undefined) call = call.set('Authorization', `Bearer ${options.token}`);
  if (options.forwardedFor !== undefined) call = call.set('X-Forwarded-For', options.forwardedFor);
  return call.send(options.body ?? { return_url: RETURN_URL });
}

/** What the X-RateLimit-Limit and X-RateLimit-Remaining headers say. */
const shown = (response: request.Response): { limit?: string; remaining?: string } => ({
  limit: response.headers['x-ratelimit-limit'],
  remaining: response.headers['x-ratelimit-remaining'],
});

/** The reference's 429: exact body, Retry-After equal to retry_after, headers of the exhausted limit. */
function expectTooManyRequests(timedResponse: Timed, limit: number): number {
  const { response } = timedResponse;
  expect(response.status).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/json\b/);
  const retryAfter: unknown = response.body.retry_after;
  expect(response.body).toEqual({
    detail: `Rate limit exceeded. Try again in ${String(retryAfter)} seconds.`,
    retry_after: retryAfter,
  });
  expect(Number.isInteger(retryAfter)).toBe(true);
  const seconds = retryAfter as number;
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(response.headers['retry-after']).toBe(String(seconds));
  expect(shown(response)).toEqual({ limit: String(limit), remaining: '0' });
  // Retry-After is the time left rounded up, so the window ends between seconds - 1 and seconds from then.
  expectResetWithin(timedResponse, seconds - 1, seconds);
  return seconds;
}

describe('rate limits on end-user endpoints', () => {
  const stripe = new StripeStub();

  beforeAll(async () => {
    await stripe.start();
  });

  afterAll(async () => {
    await stripe.stop();
  });

  beforeEach(() => stripe.reset());

  describe(`in memory, ${USER_LIMIT} per user and ${IP_LIMIT} per address a minute, behind a trusted proxy`, () => {
    const tenants = new Tenants(21);
    let testApp: TestApp;
    // Every request names its client through the (trusted) loopback proxy, so each test has its own address.
    const call = (userId: string | undefined, address: string, projectId = tenants.projectA) =>
      portal(testApp, {
        token: userId === undefined ? undefined : endUserToken(userId, projectId),
        forwardedFor: address,
      });

    beforeAll(async () => {
      testApp = await startTestApp({ STRIPE_API_BASE_URL: stripe.baseUrl, TRUST_PROXY: 'loopback', ...LIMITS });
      await tenants.provision(stripe, testApp);
    });

    afterAll(async () => {
      await testApp?.close();
    });

    it('reports the limit, what is left and the window end (Unix seconds) on a 200', async () => {
      const answer = await timed(call(tenants.freshUser(), freshAddress()).expect(200));
      const { response } = answer;

      expect(response.body.portal_url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
      expect(shown(response)).toEqual({ limit: '3', remaining: '2' });
      // A fresh one-minute window opened while the request was in flight.
      expectResetWithin(answer, 59, 60);
      expect(stripe.requests).toHaveLength(1);
    });

    it('answers 429 with Retry-After and the reference body past the per-user limit, without calling Stripe', async () => {
      const user = tenants.freshUser();
      const address = freshAddress();
      const remaining: (string | undefined)[] = [];
      for (let attempt = 0; attempt < USER_LIMIT; attempt += 1) {
        remaining.push(shown(await call(user, address).expect(200)).remaining);
      }
      expect(remaining).toEqual(['2', '1', '0']);

      const limited = await timed(call(user, address));

      const retryAfter = expectTooManyRequests(limited, USER_LIMIT);
      expect(retryAfter).toBeGreaterThanOrEqual(58);
      expect(stripe.requests).toHaveLength(USER_LIMIT);
    });

    it('counts per (project, user): the same user in another project and other users are not limited', async () => {
      const alice = tenants.freshUser();
      const carol = tenants.freshUser();
      const address = freshAddress();
      for (let attempt = 0; attempt < USER_LIMIT; attempt += 1) await call(alice, address).expect(200);
      expectTooManyRequests(await timed(call(alice, address)), USER_LIMIT);

      const inProjectB = await call(alice, freshAddress(), tenants.projectB).expect(200);
      expect(shown(inProjectB)).toEqual({ limit: '3', remaining: '2' });
      const other = await call(carol, freshAddress()).expect(200);
      expect(shown(other)).toEqual({ limit: '3', remaining: '2' });
      // The user's count follows them to any address.
      expectTooManyRequests(await timed(call(alice, freshAddress())), USER_LIMIT);
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.a, keys.a, keys.a, keys.b, keys.a]);
    });

    it('refuses a limited user before looking at the request (429, not 422)', async () => {
      const user = tenants.freshUser();
      const address = freshAddress();
      for (let attempt = 0; attempt < USER_LIMIT; attempt += 1) await call(user, address).expect(200);

      const invalid = await timed(
        portal(testApp, {
          token: endUserToken(user, tenants.projectA),
          forwardedFor: address,
          body: { return_url: 'not a url' },
        }),
      );

      expectTooManyRequests(invalid, USER_LIMIT);
      expect(stripe.requests).toHaveLength(USER_LIMIT);
    });

    it('authenticates before counting per user: 401 and 403 answers use the address budget only', async () => {
      const user = tenants.freshUser();
      const address = freshAddress();
      const forged = endUserToken(user, tenants.projectA, { secret: WRONG_JWT_SECRET });

      const unauthorized = await call(undefined, address).expect(401, { detail: 'Could not validate credentials' });
      expect(shown(unauthorized)).toEqual({ limit: '5', remaining: '4' });
      await portal(testApp, { token: forged, forwardedFor: address }).expect(401);
      await portal(testApp, { token: accessToken({ sub: user }), forwardedFor: address }).expect(403);

      // After this request the address has 1 left, the user 2: the headers show the address.
      const first = await call(user, address).expect(200);
      expect(shown(first)).toEqual({ limit: '5', remaining: '1' });
      const elsewhere = await call(user, freshAddress()).expect(200);
      expect(shown(elsewhere)).toEqual({ limit: '3', remaining: '1' });
    });

    it('limits every request from one address, across users and before authentication', async () => {
      const address = freshAddress();
      const answers: ReturnType<typeof shown>[] = [];
      for (let attempt = 0; attempt < IP_LIMIT; attempt += 1) {
        answers.push(shown(await call(tenants.freshUser(), address).expect(200)));
      }
      // Each user has 2 left; the address runs down from 4 and is shown once it is the tighter limit (at the tie,
      // 2 and 2, either may be shown: the one whose window ends later).
      expect(answers.map(({ remaining }) => remaining)).toEqual(['2', '2', '2', '1', '0']);
      expect([0, 1, 3, 4].map((index) => answers[index].limit)).toEqual(['3', '3', '5', '5']);

      expectTooManyRequests(await timed(call(tenants.freshUser(), address)), IP_LIMIT);
      expectTooManyRequests(await timed(call(undefined, address)), IP_LIMIT);
      expect(stripe.requests).toHaveLength(IP_LIMIT);
      await call(tenants.freshUser(), freshAddress()).expect(200);
    });

    it('documents the 429 body and the headers of the portal in the OpenAPI document', async () => {
      const { body: document } = await request(testApp.app.getHttpServer()).get('/openapi.json').expect(200);
      const { responses } = document.paths[PATH].post;
      const rateLimitHeaders = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

      expect(Object.keys(responses['200'].headers).sort()).toEqual(rateLimitHeaders);
      expect(Object.keys(responses['429'].headers).sort()).toEqual(['Retry-After', ...rateLimitHeaders]);
      expect(responses['429'].content['application/json']).toEqual({
        schema: { $ref: '#/components/schemas/RateLimitExceeded' },
        example: { detail: 'Rate limit exceeded. Try again in 42 seconds.', retry_after: 42 },
      });
      expect(document.components.schemas.RateLimitExceeded).toMatchObject({
        required: ['detail', 'retry_after'],
        properties: { detail: { type: 'string' }, retry_after: { type: 'integer', minimum: 1 } },
      });
    });

    it('takes the address a trusted proxy saw, not what the client wrote before it in X-Forwarded-For', async () => {
      const address = freshAddress();
      for (let attempt = 0; attempt < IP_LIMIT; attempt += 1) {
        await call(tenants.freshUser(), `10.9.8.${attempt}, ${address}`).expect(200);
      }
      expectTooManyRequests(await timed(call(tenants.freshUser(), `10.9.9.9, ${address}`)), IP_LIMIT);
    });
  });

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

  describe('when Redis is unreachable (REDIS_URL at a closed port)', () => {
    const tenants = new Tenants(1);
    let testApp: TestApp | undefined;

    beforeAll(async () => {
      const unreachable = `redis://127.0.0.1:${await closedPort()}`;
      testApp = await startTestApp({ STRIPE_API_BASE_URL: stripe.baseUrl, REDIS_URL: unreachable, ...LIMITS });
      await tenants.provision(stripe, testApp);
    });

    afterAll(async () => {
      await testApp?.close();
    });

    it('serves every request at once and still limits, counting in this instance (fail-open)', async () => {
      const user = tenants.freshUser();
      const answers: Timed[] = [];
      for (let attempt = 0; attempt <= USER_LIMIT; attempt += 1) {
        const answer = await timed(portal(testApp!, { token: endUserToken(user, tenants.projectA) }));
        expect(answer.answeredAt - answer.sentAt).toBeLessThan(1000);
        answers.push(answer);
      }

      expect(answers.map(({ response }) => [response.status, shown(response).remaining])).toEqual([
        [200, '2'],
        [200, '1'],
        [200, '0'],
        [429, '0'],
      ]);
      expectTooManyRequests(answers[USER_LIMIT], USER_LIMIT);
      expect(stripe.requests).toHaveLength(USER_LIMIT);
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
