import { applyDecorators, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { DeveloperAuth, type Principal } from '../../../auth/src/index.js';
import { RateLimitExceeded, RateLimitExceededException } from '../../../http-errors/src/index.js';

/** Credential validations a developer may run per window, across all their projects. */
export const CREDENTIAL_VALIDATION_LIMIT = 10;
export const CREDENTIAL_VALIDATION_WINDOW_SECONDS = 60;

/** Developers tracked at once; beyond that the least recently active one is forgotten (its count restarts). */
const TRACKED_DEVELOPERS = 100_000;

export interface RateLimitOutcome {
  allowed: boolean;
  remaining: number;
  /** Unix time (seconds) when the oldest counted request leaves the window, freeing a slot. */
  resetAt: number;
  /** Seconds until then, at least 1. */
  retryAfterSeconds: number;
}

/**
 * A sliding-window log per key: at most `limit` accepted requests in any `windowMs`; refused requests are not
 * counted. In memory, so per process: with N replicas a developer gets up to N times the limit.
 */
export class SlidingWindowLimiter {
  private readonly hits: LRUCache<string, number[]>;

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
  ) {
    // An idle key expires with its window, so memory stays bounded without a sweeper.
    this.hits = new LRUCache({ max: TRACKED_DEVELOPERS, ttl: windowMs });
  }

  hit(key: string, now = Date.now()): RateLimitOutcome {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(now);
    this.hits.set(key, recent);
    const frees = recent[0] + this.windowMs;
    return {
      allowed,
      remaining: this.limit - recent.length,
      resetAt: Math.ceil(frees / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil((frees - now) / 1000)),
    };
  }
}

/**
 * Limits credential validations per developer (not per address), with the reference API's headers on every answer
 * after authentication, 429 included. It runs after the auth guards and before pipes and the handler, so a limited
 * caller never reaches Stripe: the endpoint cannot be used to test stolen keys in bulk.
 */
@Injectable()
export class CredentialValidationRateLimit implements CanActivate {
  private readonly limiter = new SlidingWindowLimiter(
    CREDENTIAL_VALIDATION_LIMIT,
    CREDENTIAL_VALIDATION_WINDOW_SECONDS * 1000,
  );

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const principal = http.getRequest<FastifyRequest & { user?: Principal }>().user;
    // Guard order is part of the contract; without a principal this guard was wired before authentication.
    if (!principal) throw new Error('CredentialValidationRateLimit must run after authentication');
    const outcome = this.limiter.hit(principal.userId);
    const response = http.getResponse<FastifyReply>();
    response.header('X-RateLimit-Limit', String(this.limiter.limit));
    response.header('X-RateLimit-Remaining', String(outcome.remaining));
    response.header('X-RateLimit-Reset', String(outcome.resetAt));
    if (!outcome.allowed) {
      throw new RateLimitExceededException(
        `Too many credential validations; try again in ${outcome.retryAfterSeconds} seconds`,
        outcome.retryAfterSeconds,
      );
    }
    return true;
  }
}

/** Headers every answer of the rate-limited route carries (after authentication). */
export const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed per window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': {
    description: 'Unix time (seconds) when the oldest counted request leaves the window',
    schema: { type: 'integer' },
  },
};

/** Developer authentication (401, 403), then the per-developer limit (429), documented as enforced. */
export function RateLimitedDeveloperAuth(): MethodDecorator {
  return applyDecorators(
    // applyDecorators applies in order, so the auth guards are registered (and run) before the limit.
    DeveloperAuth(),
    UseGuards(CredentialValidationRateLimit),
    ApiTooManyRequestsResponse({
      type: RateLimitExceeded,
      description: `More than ${CREDENTIAL_VALIDATION_LIMIT} credential validations by this developer within ${CREDENTIAL_VALIDATION_WINDOW_SECONDS} seconds; Stripe is not called.`,
      headers: {
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
        ...RATE_LIMIT_HEADERS,
      },
      example: { detail: 'Too many credential validations; try again in 42 seconds', retry_after: 42 },
    }),
  );
}
