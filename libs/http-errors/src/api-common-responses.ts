import { applyDecorators } from '@nestjs/common';
import { ApiPayloadTooLargeResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { ErrorDetail } from './error-responses.js';

/** 413 for operations with a JSON body (the body parser's limit applies before anything else). */
export function ApiBodyLimit(): MethodDecorator & ClassDecorator {
  return ApiPayloadTooLargeResponse({
    type: ErrorDetail,
    description: 'The JSON body is larger than 100 KiB.',
    example: { detail: 'Request body is larger than the limit of 102400 bytes' },
  });
}

/** 503 when the database cannot be reached: every route that reads or writes data can answer it. */
export function ApiDatabaseUnavailable(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiServiceUnavailableResponse({
      type: ErrorDetail,
      description:
        'The database (or, where the operation calls Stripe, Stripe) is briefly unavailable; retry after Retry-After.',
      headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
      example: { detail: 'The database is temporarily unavailable; try again shortly' },
    }),
  );
}
