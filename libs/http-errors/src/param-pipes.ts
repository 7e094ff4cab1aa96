import { Injectable, type PipeTransform } from '@nestjs/common';
import { Issue, RequestValidationException } from './validation-errors.js';
import { isStorableText } from './validators.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The UUID in lower-case dashed form, or undefined for anything that is not one. */
function normalizedUuid(raw: unknown): string | undefined {
  const value = typeof raw === 'string' ? raw.replace(/^urn:uuid:/i, '') : '';
  if (!UUID.test(value)) return undefined;
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A UUID path parameter, normalised to lower-case dashed form; anything else is 422 `uuid_parsing`. */
@Injectable()
export class UuidPathPipe implements PipeTransform<unknown, string> {
  constructor(private readonly name: string) {}

  transform(raw: unknown): string {
    const uuid = normalizedUuid(raw);
    if (uuid === undefined) throw RequestValidationException.at(['path', this.name], Issue.uuidParsing);
    return uuid;
  }
}

/** An optional UUID query parameter (absent is null; repeated, the last wins); anything else is 422 `uuid_parsing`. */
@Injectable()
export class OptionalUuidQueryPipe implements PipeTransform<unknown, string | null> {
  constructor(private readonly name: string) {}

  transform(raw: unknown): string | null {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) return null;
    const uuid = normalizedUuid(value);
    if (uuid === undefined) throw RequestValidationException.at(['query', this.name], Issue.uuidParsing);
    return uuid;
  }
}

/** An optional query parameter that must be one of `allowed` exactly (absent is null); else 422 `literal_error`. */
@Injectable()
export class OptionalLiteralQueryPipe<Value extends string> implements PipeTransform<unknown, Value | null> {
  constructor(
    private readonly name: string,
    private readonly allowed: readonly Value[],
  ) {}

  transform(raw: unknown): Value | null {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) return null;
    if (!this.allowed.includes(value as Value))
      throw RequestValidationException.at(['query', this.name], Issue.literalError(this.allowed));
    return value as Value;
  }
}

/**
 * An optional free-text query parameter (the last of repeated values; absent is null), refused with 422 only when
 * PostgreSQL could not compare it (a NUL character, an unpaired surrogate), never echoed.
 */
@Injectable()
export class OptionalTextQueryPipe implements PipeTransform<unknown, string | null> {
  constructor(private readonly name: string) {}

  transform(raw: unknown): string | null {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) return null;
    if (typeof value !== 'string' || !isStorableText(value)) {
      throw RequestValidationException.at(['query', this.name], Issue.unstorableText);
    }
    return value;
  }
}

/** An integer query parameter with bounds and a default, reported as Pydantic does (int_parsing, greater_than_equal...). */
@Injectable()
export class BoundedIntQueryPipe implements PipeTransform<unknown, number> {
  constructor(
    private readonly name: string,
    private readonly bounds: { min: number; max: number; default: number },
  ) {}

  transform(raw: unknown): number {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) return this.bounds.default;
    const loc = ['query', this.name];
    if (typeof value !== 'string' || !/^\s*[+-]?\d+\s*$/.test(value))
      throw RequestValidationException.at(loc, Issue.intParsing);
    const parsed = Number(value);
    if (parsed < this.bounds.min) throw RequestValidationException.at(loc, Issue.greaterThanEqual(this.bounds.min));
    if (parsed > this.bounds.max) throw RequestValidationException.at(loc, Issue.lessThanEqual(this.bounds.max));
    return parsed;
  }
}
