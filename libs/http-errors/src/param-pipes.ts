import { Injectable, type PipeTransform } from '@nestjs/common';
import { Issue, RequestValidationException } from './validation-errors.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A UUID path parameter, normalised to lower-case dashed form; anything else is 422 `uuid_parsing`. */
@Injectable()
export class UuidPathPipe implements PipeTransform<unknown, string> {
  constructor(private readonly name: string) {}

  transform(raw: unknown): string {
    const value = typeof raw === 'string' ? raw.replace(/^urn:uuid:/i, '') : '';
    if (!UUID.test(value)) throw RequestValidationException.at(['path', this.name], Issue.uuidParsing);
    const hex = value.replace(/-/g, '').toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
