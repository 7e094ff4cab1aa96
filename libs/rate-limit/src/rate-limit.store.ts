import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { AppConfig } from '#libs/config';
import { MetricsRegistry } from '#libs/metrics';
import { CircuitBreaker } from './circuit-breaker.js';
import { RequestRateLimiter, type RateLimitPolicy } from './rate-limiter.js';

/** A Redis command slower than this counts as failed: the request is counted in memory instead of waiting. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** Longest start-up waits for Redis; after that the service starts anyway and keeps reconnecting. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

/**
 * Where rate-limit counters live: in Redis when REDIS_URL is set (replicas share them), otherwise in this process.
 *
 * Redis trouble never fails a request (fail-open to per-process limits), and a stalled Redis delays only the requests
 * already waiting on it and one probe per back-off, by one REDIS_COMMAND_TIMEOUT_MS: commands are never queued while
 * disconnected and time out; a failure opens a circuit breaker, so for RATE_LIMIT_REDIS_BACKOFF_MS every request is
 * counted in an in-memory limiter with the same policy without asking Redis; then one request probes Redis, and its
 * answer closes the breaker. Openings are logged (a warning per outage), closings noted, both shown by
 * `rate_limit_redis_breaker_open`. Needs the global MetricsModule for its metrics.
 */
@Injectable()
export class RateLimitStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis | undefined;
  private readonly breaker: CircuitBreaker | undefined;
  private readonly keyPrefix: string;
  private readonly limiters = new Map<string, RequestRateLimiter>();
  private readonly localCounts: Counter;
  private closing = false;

  constructor(config: AppConfig, registry: MetricsRegistry) {
    this.keyPrefix = config.rateLimit.keyPrefix;
    const { redisUrl, redisBackoffMs } = config.rateLimit;
    this.localCounts = new Counter({
      name: 'rate_limit_redis_fallbacks_total',
      help: 'Rate-limit counts taken in this process instead of Redis (it failed, or its breaker was open)',
      registers: [registry],
    });
    const breaker = () => this.breaker;
    new Gauge({
      name: 'rate_limit_redis_breaker_open',
      help: '1 while Redis is not asked (after a failure, until a probe succeeds) and limits count per process',
      registers: [registry],
      // Read at scrape time: nothing to update on the request path.
      collect() {
        this.set((breaker()?.state ?? 'closed') === 'closed' ? 0 : 1);
      },
    });
    if (!redisUrl) return;
    this.breaker = new CircuitBreaker(redisBackoffMs, {
      opened: (error, probe) => this.opened(error, probe, redisBackoffMs),
      closed: () => this.logger.log('Redis answers again; rate-limit counters are shared again'),
    });
    this.redis = new Redis(redisUrl, {
      // Named after the key prefix, so CLIENT LIST shows which service (or test) holds a connection.
      connectionName: this.keyPrefix,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      // How long disconnect() waits for a socket to close; ioredis keeps this timer even for a socket already gone.
      disconnectTimeout: REDIS_COMMAND_TIMEOUT_MS,
    });
    // A lost connection opens the breaker too; reconnecting does not close it, a probe's answer does.
    this.redis.on('error', (error: Error) => this.breaker?.failed(error));
  }

  /** `redis` when counters are shared through Redis, `memory` when each process counts alone. */
  get backend(): 'redis' | 'memory' {
    return this.redis ? 'redis' : 'memory';
  }

  /** The limiter for a policy; the same name always gives the same counters (guards in several modules share it). */
  limiter(policy: RateLimitPolicy): RequestRateLimiter {
    const existing = this.limiters.get(policy.name);
    if (existing) {
      const same =
        existing.policy.points === policy.points && existing.policy.durationSeconds === policy.durationSeconds;
      if (!same) throw new Error(`Rate limit "${policy.name}" is declared twice with different limits`);
      return existing;
    }
    const created = this.createLimiter(policy);
    this.limiters.set(policy.name, created);
    return created;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    const connected = await Promise.race([
      this.redis.connect().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => setTimeout(resolve, REDIS_CONNECT_TIMEOUT_MS, false).unref()),
    ]);
    if (connected) this.logger.log('Rate-limit counters are kept in Redis (shared by all instances)');
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (!this.redis) return;
    if (this.redis.status === 'ready') {
      // QUIT is bounded by the command timeout; a Redis that does not answer is simply disconnected.
      await this.redis.quit().catch(() => this.redis?.disconnect());
    } else {
      this.redis.disconnect();
    }
  }

  private opened(error: unknown, probe: boolean, backoffMs: number): void {
    if (this.closing) return;
    // Only the message (host and port at most): the URL may carry a password.
    const reason = error instanceof Error ? error.message : String(error);
    if (probe) {
      // Once per outage is enough for a warning; the gauge shows that it lasts.
      this.logger.debug(`Redis still unavailable for rate limiting (${reason}); next try in ${backoffMs} ms`);
      return;
    }
    this.logger.warn(
      `Redis is unavailable for rate limiting (${reason}); each instance counts on its own, trying Redis again every ${backoffMs} ms`,
    );
  }

  private createLimiter(policy: RateLimitPolicy): RequestRateLimiter {
    const options = {
      keyPrefix: `${this.keyPrefix}:${policy.name}`,
      points: policy.points,
      duration: policy.durationSeconds,
    };
    const memory = new RateLimiterMemory(options);
    if (!this.redis || !this.breaker) return new RequestRateLimiter(policy, memory);
    // Not connected (starting, reconnecting): fail at once, so the request is counted in memory without waiting.
    const redis = new RateLimiterRedis({ ...options, storeClient: this.redis, rejectIfRedisNotReady: true });
    return new RequestRateLimiter(policy, redis, {
      counters: memory,
      gate: this.breaker,
      countedLocally: () => this.localCounts.inc(),
    });
  }
}
