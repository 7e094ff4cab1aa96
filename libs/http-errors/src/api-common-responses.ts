import { applyDecorators } from '@nestjs/common';
import {
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ErrorDetail } from './error-responses.js';

/** 413 and 415 for operations with a JSON body (the body parser runs before anything else, authentication included). */
export function ApiBodyLimit(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiPayloadTooLargeResponse({
      type: ErrorDetail,
      description: 'The JSON body is larger than 100 KiB.',
      example: { detail: 'Request body is larger than the limit of 102400 bytes' },
    }),
    ApiUnsupportedMediaTypeResponse({
      type: ErrorDetail,
      description: 'The body declares a charset other than UTF-8, or a Content-Encoding the service cannot decode.',
      example: { detail: 'Unsupported request body encoding or charset; send UTF-8 JSON' },
    }),
  );
}

/** 503 when the database cannot be reached: every route that reads or writes data can answer it. */
/** The Retry-After header of a documented 429 or 503. */
export const RETRY_AFTER_HEADER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
};

export function ApiDatabaseUnavailable(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiServiceUnavailableResponse({
      type: ErrorDetail,
      description:
        'The database (or, where the operation calls Stripe, Stripe) is briefly unavailable; retry after Retry-After.',
      headers: RETRY_AFTER_HEADER,
      example: { detail: 'The database is temporarily unavailable; try again shortly' },
    }),
  );
}
