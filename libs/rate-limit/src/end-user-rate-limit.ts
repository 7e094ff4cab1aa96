import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import { EndUserAuth, isEndUser, type Principal } from '#libs/auth';
import { AppConfig } from '#libs/config';
import { clientAddressBucket } from './client-address.js';
import { ApiRateLimitExceeded } from './rate-limit-docs.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitStore } from './rate-limit.store.js';

/** End-user limits count per minute (RATE_LIMIT_USER_PER_MINUTE, RATE_LIMIT_IP_PER_MINUTE). */
export const END_USER_RATE_LIMIT_WINDOW_SECONDS = 60;

/** The reference API's 429 detail. */
export function rateLimitExceededDetail(retryAfterSeconds: number): string {
  return `Rate limit exceeded. Try again in ${retryAfterSeconds} seconds.`;
}

/**
 * Per client address, on every end-user endpoint together, BEFORE authentication: floods of bad or missing tokens
 * from one address are refused cheaply and count too. The address is `request.ip` (the socket's peer, or what
 * TRUST_PROXY lets a trusted proxy's X-Forwarded-For say), bucketed by clientAddressBucket.
 */
@Injectable()
export class ClientAddressRateLimitGuard extends RateLimitGuard<{ ip?: string }> {
  constructor(store: RateLimitStore, config: AppConfig) {
    super(
      store,
      {
        name: 'end-user-ip',
        points: config.rateLimit.ipPerMinute,
        durationSeconds: END_USER_RATE_LIMIT_WINDOW_SECONDS,
      },
      rateLimitExceededDetail,
    );
  }

  protected keyOf(request: { ip?: string }): string {
    return clientAddressBucket(request.ip);
  }
}

/** Per end user of a project (the pair: the same user id in another project is someone else), AFTER authentication. */
@Injectable()
export class EndUserRateLimitGuard extends RateLimitGuard<{ user?: Principal }> {
  constructor(store: RateLimitStore, config: AppConfig) {
    super(
      store,
      { name: 'end-user', points: config.rateLimit.userPerMinute, durationSeconds: END_USER_RATE_LIMIT_WINDOW_SECONDS },
      rateLimitExceededDetail,
    );
  }

  protected keyOf({ user: principal }: { user?: Principal }): string {
    // Guard order is part of the contract; without an end-user principal this guard was wired before authentication.
    if (!principal || !isEndUser(principal)) throw new Error('EndUserRateLimitGuard must run after EndUserAuth');
    // Both are lower-case UUIDs (checked when the token is read), so the pair cannot collide with another.
    return `${principal.projectId}:${principal.userId}`;
  }
}

/**
 * What every end-user endpoint wears: the per-address limit, end-user authentication (401, 403), then the per-user
 * limit (429), documented as enforced. Headers report the more restrictive of the two limits.
 */
export function RateLimitedEndUserAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    // applyDecorators keeps this order, and guards run in the order they are registered.
    UseGuards(ClientAddressRateLimitGuard),
    EndUserAuth(),
    UseGuards(EndUserRateLimitGuard),
    ApiRateLimitExceeded({
      description:
        'Too many requests by this end user of this project (RATE_LIMIT_USER_PER_MINUTE, 60 by default) or from ' +
        'this client address (RATE_LIMIT_IP_PER_MINUTE, 300 by default) within the current minute.',
      detail: rateLimitExceededDetail(42),
    }),
  );
}
