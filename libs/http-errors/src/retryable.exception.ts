import { HttpException, HttpStatus } from '@nestjs/common';

/** 503 with `Retry-After`: a dependency is briefly unavailable and the same request may succeed later. */
export class ServiceUnavailableRetryException extends HttpException {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ detail }, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
