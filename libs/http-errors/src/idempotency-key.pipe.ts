import { Injectable, type PipeTransform } from '@nestjs/common';
import { Issue, RequestValidationException } from './validation-errors.js';

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Optional `Idempotency-Key` header: 1..255 characters. */
@Injectable()
export class IdempotencyKeyPipe implements PipeTransform<unknown, string | undefined> {
  transform(raw: unknown): string | undefined {
    if (raw === undefined) return undefined;
    const loc = ['header', 'idempotency-key'];
    if (typeof raw !== 'string') throw RequestValidationException.at(loc, Issue.stringType);
    if (raw.length === 0) throw RequestValidationException.at(loc, Issue.stringTooShort(1));
    if (raw.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
      throw RequestValidationException.at(loc, Issue.stringTooLong(IDEMPOTENCY_KEY_MAX_LENGTH));
    }
    return raw;
  }
}

/** The 409 when a client reuses an Idempotency-Key with other parameters (checkout and subscription changes). */
export const IDEMPOTENCY_KEY_REUSED_DETAIL =
  'Idempotency-Key was already used with different request parameters; use a new key for a new request';
