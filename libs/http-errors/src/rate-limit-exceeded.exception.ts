import { HttpException, HttpStatus } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/** 429 body, as the reference API documents it: `{"detail": "...", "retry_after": N}`. */
export class RateLimitExceeded {
  @ApiProperty({
    description: 'Which limit was hit and when to retry.',
    example: 'Rate limit exceeded. Try again in 42 seconds.',
  })
  detail: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Seconds to wait before retrying.', example: 42 })
  retry_after: number;
}

/** 429 with `Retry-After` (set by HttpExceptionFilter) and the reference's `{"detail", "retry_after"}` body. */
export class RateLimitExceededException extends HttpException {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ detail, retry_after: retryAfterSeconds } satisfies RateLimitExceeded, HttpStatus.TOO_MANY_REQUESTS);
  }
}
