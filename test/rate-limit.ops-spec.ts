import request from 'supertest';
import { freePort as closedPort } from './support/ports.js';
import {
  expectTooManyRequests,
  freshAddress,
  IP_LIMIT,
  keys,
  LIMITS,
  PATH,
  portal,
  shown,
  Tenants,
  USER_LIMIT,
} from './support/rate-limit-fixtures.js';
import { expectResetWithin, timed, type Timed } from './support/rate-limit-reset.js';
import { StripeStub } from './support/stripe-stub.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken, WRONG_JWT_SECRET } from './support/tokens.js';

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
});
