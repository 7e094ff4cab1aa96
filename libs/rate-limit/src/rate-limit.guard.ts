import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { enforceRateLimit, type HeaderSink } from './rate-limit-headers.js';
import type { RequestRateLimiter, RateLimitPolicy } from './rate-limiter.js';
import type { RateLimitStore } from './rate-limit.store.js';

/**
 * A guard that counts each request under the key `keyOf` derives, reports the X-RateLimit-* headers and refuses with
 * 429 past the policy's limit. Subclasses name the policy, the key and the 429's detail.
 */
export abstract class RateLimitGuard<Request extends object> implements CanActivate {
  private readonly limiter: RequestRateLimiter;

  protected constructor(
    store: RateLimitStore,
    policy: RateLimitPolicy,
    private readonly detail: (retryAfterSeconds: number) => string,
  ) {
    this.limiter = store.limiter(policy);
  }

  /** The counter this request is counted in. */
  protected abstract keyOf(request: Request): string;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const outcome = await this.limiter.consume(this.keyOf(request));
    enforceRateLimit(request, http.getResponse<HeaderSink>(), outcome, this.detail);
    return true;
  }
}
