import { createServer, type Socket } from 'node:net';
import { Logger, type LoggerService } from '@nestjs/common';
import { AppConfig, environmentSchema } from '#libs/config';
import { MetricsRegistry } from '#libs/metrics';
import { REDIS_CONNECT_TIMEOUT_MS, RateLimitStore } from './rate-limit.store.js';
import { freePort as closedPort } from '../../../test/support/ports.js';

const PASSWORD = 'redis-password-never-logged';

function storeWith(env: Record<string, string>, registry = new MetricsRegistry()): RateLimitStore {
  const config = new AppConfig(
    environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), ...env }),
  );
  return new RateLimitStore(config, registry);
}

/** The breaker gauge and the fallback counter, as scraped. */
async function breakerMetrics(registry: MetricsRegistry): Promise<{ open: number; fallbacks: number }> {
  const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
  return {
    open: await value('rate_limit_redis_breaker_open'),
    fallbacks: await value('rate_limit_redis_fallbacks_total'),
  };
}

/** Collects what the store logs, through Nest's Logger. */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: string) {
    this.lines.push(`log ${message}`);
  }
  warn(message: string) {
    this.lines.push(`warn ${message}`);
  }
  error(message: string) {
    this.lines.push(`error ${message}`);
  }
}

describe('RateLimitStore', () => {
  const policy = { name: 'portal', points: 2, durationSeconds: 60 };
  const logger = new RecordingLogger();

  beforeAll(() => Logger.overrideLogger(logger));
  afterAll(() => Logger.overrideLogger(new Logger()));

  it('counts in memory without REDIS_URL, one set of counters per policy name', async () => {
    const registry = new MetricsRegistry();
    const store = storeWith({}, registry);
    expect(store.backend).toBe('memory');
    const limiter = store.limiter(policy);
    expect(store.limiter({ ...policy })).toBe(limiter);
    expect(() => store.limiter({ ...policy, points: 3 })).toThrow(
      'Rate limit "portal" is declared twice with different limits',
    );
    const other = store.limiter({ ...policy, name: 'other' });

    expect((await limiter.consume('key')).remaining).toBe(1);
    expect((await limiter.consume('key')).remaining).toBe(0);
    expect((await limiter.consume('key')).allowed).toBe(false);
    expect((await other.consume('key')).allowed).toBe(true);
    expect(await breakerMetrics(registry)).toEqual({ open: 0, fallbacks: 0 });
    await store.onApplicationShutdown();
  });

  describe('with Redis unreachable', () => {
    const registry = new MetricsRegistry();
    let store: RateLimitStore;

    beforeAll(async () => {
      logger.lines.length = 0;
      store = storeWith({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${await closedPort()}` }, registry);
    });

    afterAll(async () => {
      await store.onApplicationShutdown();
    });

    it('starts without waiting out the connect timeout', async () => {
      const started = Date.now();
      await store.onModuleInit();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(store.backend).toBe('redis');
    });

    it('fails open: counts each request in this process, at once, and still refuses over the limit', async () => {
      const limiter = store.limiter(policy);
      const started = Date.now();
      const outcomes = [];
      for (let call = 0; call < 3; call += 1) outcomes.push(await limiter.consume('user'));
      expect(Date.now() - started).toBeLessThan(200);
      expect(outcomes.map(({ allowed, remaining }) => [allowed, remaining])).toEqual([
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
      expect(outcomes[2].retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect(await breakerMetrics(registry)).toEqual({ open: 1, fallbacks: 3 });
    });

    it('warns once per outage, without the URL or its password', () => {
      const warnings = logger.lines.filter((line) => line.startsWith('warn '));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^warn Redis is unavailable for rate limiting \(.+\); each instance counts on its own, trying Redis again every 5000 ms$/,
      );
      expect(logger.lines.join('\n')).not.toContain(PASSWORD);
    });
  });

  describe('with a Redis that accepts connections and never answers', () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    let store: RateLimitStore;

    beforeAll(async () => {
      logger.lines.length = 0;
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      store = storeWith({ REDIS_URL: `redis://127.0.0.1:${(silent.address() as { port: number }).port}` });
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('stops waiting for it at start-up within the connect timeout', async () => {
      const started = Date.now();
      await store.onModuleInit();
      expect(Date.now() - started).toBeLessThan(REDIS_CONNECT_TIMEOUT_MS + 500);
    });

    it('counts requests in this process without waiting on it', async () => {
      const limiter = store.limiter(policy);
      const started = Date.now();
      const outcomes = [];
      for (let call = 0; call < 3; call += 1) outcomes.push((await limiter.consume('user')).allowed);
      expect(Date.now() - started).toBeLessThan(200);
      expect(outcomes).toEqual([true, true, false]);
      expect(logger.lines.filter((line) => line.startsWith('warn '))).toEqual([
        expect.stringMatching(/^warn Redis is unavailable for rate limiting \(.+\)/),
      ]);
    });

    it('shuts down without waiting on it', async () => {
      const started = Date.now();
      await store.onApplicationShutdown();
      expect(Date.now() - started).toBeLessThan(500);
    });
  });
});
