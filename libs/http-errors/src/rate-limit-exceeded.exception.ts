import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Response } from 'express';

/** 429 body, as the reference API documents it: `{"detail": "...", "retry_after": N}`. */
export class RateLimitExceeded {
  @ApiProperty({
    description: 'Which limit was hit and when to retry.',
    example: 'Too many requests; try again in 42 seconds',
  })
  detail: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Seconds to wait before retrying.', example: 42 })
  retry_after: number;
}

/** 429 with `Retry-After` and the reference's `{"detail", "retry_after"}` body (see RateLimitExceededFilter). */
export class RateLimitExceededException extends HttpException {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ detail, retry_after: retryAfterSeconds } satisfies RateLimitExceeded, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * The global filter answers `{"detail"}` only; a route that rate-limits adds this one (`@UseFilters`) so its 429
 * also carries `retry_after`.
 */
@Catch(RateLimitExceededException)
export class RateLimitExceededFilter implements ExceptionFilter<RateLimitExceededException> {
  catch(exception: RateLimitExceededException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(exception.getStatus()).json(exception.getResponse());
  }
}
