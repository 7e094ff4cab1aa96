import { Injectable, type PipeTransform } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { StripeMode } from '#libs/config';
import { Issue, RequestValidationException } from './validation-errors.js';

// Pydantic's accepted boolean spellings, compared case-insensitively.
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'f', 'n']);

/** Parses a boolean query value as the reference (Pydantic) does; absent means `defaultValue`, repeated means last. */
export function parseQueryBoolean(raw: unknown, defaultValue: boolean): boolean | undefined {
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined) return defaultValue;
  if (typeof value !== 'string') return undefined;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/**
 * Documents `?test_mode=` with the spellings TestModePipe accepts. `schemaDescription` is the reference operation's own
 * wording of the parameter, where it has one.
 */
export function ApiTestModeQuery(options: {
  meaning: string;
  whenFalse?: string;
  schemaDescription?: string;
}): MethodDecorator {
  return ApiQuery({
    name: 'test_mode',
    required: false,
    schema: {
      type: 'boolean',
      default: true,
      title: 'Test Mode',
      ...(options.schemaDescription && { description: options.schemaDescription }),
    },
    description: `${options.meaning} (true/false, 1/0, yes/no, on/off, t/f, y/n).${options.whenFalse ? ` ${options.whenFalse}` : ''}`,
  });
}

/** `?test_mode=`: boolean, default true; anything else is a 422 at ["query", "test_mode"]. */
@Injectable()
export class TestModePipe implements PipeTransform<unknown, boolean> {
  transform(raw: unknown): boolean {
    const parsed = parseQueryBoolean(raw, true);
    if (parsed === undefined) throw RequestValidationException.at(['query', 'test_mode'], Issue.boolParsing);
    return parsed;
  }
}

/** `?test_mode=` as the Stripe mode it selects: `test` (the default) or `live`; a 422 like TestModePipe otherwise. */
@Injectable()
export class StripeModePipe implements PipeTransform<unknown, StripeMode> {
  private readonly testMode = new TestModePipe();

  transform(raw: unknown): StripeMode {
    return this.testMode.transform(raw) ? 'test' : 'live';
  }
}

/**
 * `?test_mode=` as a filter: absent (null) shows both modes, true the test mode, false the live mode; a 422 like
 * TestModePipe for anything else.
 */
@Injectable()
export class OptionalStripeModePipe implements PipeTransform<unknown, StripeMode | null> {
  private readonly mode = new StripeModePipe();

  transform(raw: unknown): StripeMode | null {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    return value === undefined ? null : this.mode.transform(value);
  }
}
