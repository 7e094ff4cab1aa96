import {
  applyDecorators,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  AccessTokenVerifier,
  ApiEndUserAuth,
  END_USER_REQUIRED,
  INVALID_CREDENTIALS,
  isEndUser,
  type Principal,
} from '#libs/auth';
import { AppConfig } from '#libs/config';
import { clientAddressBucket } from './client-address.js';
import { ApiRateLimitExceeded } from './rate-limit-docs.js';
import { enforceRateLimit, type HeaderSink } from './rate-limit-headers.js';
import type { RequestRateLimiter } from './rate-limiter.js';
import { RateLimitStore } from './rate-limit.store.js';

/** End-user limits count per minute (RATE_LIMIT_USER_PER_MINUTE, RATE_LIMIT_IP_PER_MINUTE). */
export const END_USER_RATE_LIMIT_WINDOW_SECONDS = 60;

/** The reference API's 429 detail. */
export function rateLimitExceededDetail(retryAfterSeconds: number): string {
  return `Rate limit exceeded. Try again in ${retryAfterSeconds} seconds.`;
}

/**
 * Everything an end-user endpoint checks before its handler, in one guard (one pass instead of four chained guards,
 * and no passport middleware per request):
 * 1. the per-address limit, on every end-user endpoint together, BEFORE authentication: floods of bad or missing
 *    tokens from one address are refused cheaply and count too. The address is `request.ip` (the socket's peer, or what
 *    TRUST_PROXY lets a trusted proxy's X-Forwarded-For say), bucketed by clientAddressBucket;
 * 2. authentication (401) and project scope (403), with the rules JwtStrategy applies (AccessTokenVerifier);
 * 3. the per-user limit (429), per end user of a project: the same user id in another project is someone else.
 * The X-RateLimit-* headers report the more restrictive of the two limits.
 */
@Injectable()
export class EndUserAccessGuard implements CanActivate {
  private readonly perAddress: RequestRateLimiter;
  private readonly perUser: RequestRateLimiter;

  constructor(
    store: RateLimitStore,
    config: AppConfig,
    private readonly tokens: AccessTokenVerifier,
  ) {
    const window = END_USER_RATE_LIMIT_WINDOW_SECONDS;
    this.perAddress = store.limiter({
      name: 'end-user-ip',
      points: config.rateLimit.ipPerMinute,
      durationSeconds: window,
    });
    this.perUser = store.limiter({ name: 'end-user', points: config.rateLimit.userPerMinute, durationSeconds: window });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: Principal }>();
    const reply = http.getResponse<HeaderSink>();
    enforceRateLimit(
      request,
      reply,
      await this.perAddress.consume(clientAddressBucket(request.ip)),
      rateLimitExceededDetail,
    );
    const principal = this.tokens.verify(request);
    if (!principal) throw new UnauthorizedException({ detail: INVALID_CREDENTIALS });
    if (!isEndUser(principal)) throw new ForbiddenException({ detail: END_USER_REQUIRED });
    request.user = principal;
    // Both are lower-case UUIDs (checked when the token is read), so the pair cannot collide with another.
    const byUser = await this.perUser.consume(`${principal.projectId}:${principal.userId}`);
    enforceRateLimit(request, reply, byUser, rateLimitExceededDetail);
    return true;
  }
}

/**
 * What every end-user endpoint wears: the per-address limit, end-user authentication (401, 403), then the per-user
 * limit (429), enforced by EndUserAccessGuard and documented as enforced.
 */
export function RateLimitedEndUserAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(EndUserAccessGuard),
    ApiEndUserAuth(),
    ApiRateLimitExceeded({
      description:
        'Too many requests by this end user of this project (RATE_LIMIT_USER_PER_MINUTE, 60 by default) or from ' +
        'this client address (RATE_LIMIT_IP_PER_MINUTE, 300 by default) within the current minute.',
      detail: rateLimitExceededDetail(42),
    }),
  );
}
