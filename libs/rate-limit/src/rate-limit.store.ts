import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { AppConfig } from '#libs/config';
import { RequestRateLimiter, type CounterStoreHealth, type RateLimitPolicy } from './rate-limiter.js';

/** A Redis command slower than this counts as failed: the request is counted in memory instead of waiting. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** Longest start-up waits for Redis; after that the service starts anyway and keeps reconnecting. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

/**
 * Where rate-limit counters live: in Redis when REDIS_URL is set (replicas share them), otherwise in this process.
 *
 * Redis trouble never fails or stalls a request (fail-open to per-process limits): commands are never queued while
 * disconnected, time out after REDIS_COMMAND_TIMEOUT_MS, and any failure counts the request in an in-memory limiter
 * with the same policy. A warning is logged when Redis fails and a note when it answers again; ioredis reconnects in
 * the background.
 */
@Injectable()
export class RateLimitStore implements OnModuleInit, OnApplicationShutdown, CounterStoreHealth {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis | undefined;
  private readonly keyPrefix: string;
  private readonly limiters = new Map<string, RequestRateLimiter>();
  private redisUnavailable = false;
  private closing = false;

  constructor(config: AppConfig) {
    this.keyPrefix = config.rateLimit.keyPrefix;
    const { redisUrl } = config.rateLimit;
    if (!redisUrl) return;
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
    // The URL may carry a password: log the error's message only (host and port at most), never the URL.
    this.redis.on('error', (error: Error) => this.failed(error));
    this.redis.on('ready', () => this.answered());
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

  /** A Redis command or connection failed: warn once per outage. */
  failed(error: unknown): void {
    if (this.closing || this.redisUnavailable) return;
    this.redisUnavailable = true;
    // Only the message (host and port at most): the URL may carry a password.
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn(`Redis is unavailable for rate limiting (${reason}); each instance counts on its own meanwhile`);
  }

  /** Redis answered (or reconnected): note the recovery once. */
  answered(): void {
    if (!this.redisUnavailable) return;
    this.redisUnavailable = false;
    this.logger.log('Redis answers again; rate-limit counters are shared again');
  }

  private createLimiter(policy: RateLimitPolicy): RequestRateLimiter {
    const options = {
      keyPrefix: `${this.keyPrefix}:${policy.name}`,
      points: policy.points,
      duration: policy.durationSeconds,
    };
    const memory = new RateLimiterMemory(options);
    if (!this.redis) return new RequestRateLimiter(policy, memory);
    // Not connected (starting, reconnecting): fail at once, so the request is counted in memory without waiting.
    const redis = new RateLimiterRedis({ ...options, storeClient: this.redis, rejectIfRedisNotReady: true });
    return new RequestRateLimiter(policy, redis, { counters: memory, health: this });
  }
}
