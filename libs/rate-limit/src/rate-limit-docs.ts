import { applyDecorators } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { RateLimitExceeded, RETRY_AFTER_HEADER } from '#libs/http-errors';

/** Headers every answer of a rate-limited route carries (for 200, pass them to the route's ApiOkResponse). */
export const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed per window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': {
    description: 'Unix time (seconds) when the current window ends and the count starts again',
    schema: { type: 'integer' },
  },
};

/** The 429: the reference's `{"detail", "retry_after"}` body, Retry-After and the X-RateLimit-* headers. */
export function ApiRateLimitExceeded(options: {
  description: string;
  detail: string;
}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiTooManyRequestsResponse({
      type: RateLimitExceeded,
      description: options.description,
      headers: { ...RETRY_AFTER_HEADER, ...RATE_LIMIT_HEADERS },
      example: { detail: options.detail, retry_after: 42 },
    }),
  );
}
