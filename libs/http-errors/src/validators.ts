import { IsInt, IsNumber, Max, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { issue } from './pydantic-validation.pipe.js';
import { Issue } from './validation-errors.js';

/** Present (may be null): Pydantic reports only an absent field as `missing`; null fails the type check instead. */
export function IsPresent(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPresent',
      // A non-empty message matters: class-validator attaches `context` only to errors with a message.
      validator: { validate: (value: unknown) => value !== undefined, defaultMessage: () => Issue.missing.msg },
    },
    { context: Issue.missing, ...options },
  );
}

// With the u flag a well-formed pair is one astral code point; only a lone half is in the Cs category.
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * Text PostgreSQL can store as given: no NUL character (a text value cannot hold one; the statement fails) and no
 * unpaired UTF-16 surrogate (not encodable in UTF-8; it would be stored as U+FFFD, silently). Non-strings pass: the
 * type is IsString's to judge.
 */
export function isStorableText(value: unknown): boolean {
  return typeof value !== 'string' || (!value.includes('\0') && !UNPAIRED_SURROGATE.test(value));
}

/** Refuses text PostgreSQL cannot store (see isStorableText), as a Pydantic `value_error` that never echoes it. */
export function IsStorableText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStorableText',
      validator: { validate: isStorableText, defaultMessage: () => Issue.unstorableText.msg },
    },
    { context: Issue.unstorableText, ...options },
  );
}

/**
 * A whole number from `min` to `max`, refused as Pydantic words it: not a number (`int_type`), a fraction
 * (`int_from_float`), then the bounds. Booleans and numeric strings are not numbers here.
 */
export function IsIntegerBetween(min: number, max: number): PropertyDecorator {
  // Registered in the order they run (class-validator runs a property's rules in registration order).
  const rules = [
    IsNumber({ allowNaN: false, allowInfinity: false }, issue(Issue.intType)),
    IsInt(issue(Issue.intFromFloat)),
    Min(min, issue(Issue.greaterThanEqual(min))),
    Max(max, issue(Issue.lessThanEqual(max))),
  ];
  return (target, property) => {
    for (const rule of rules) rule(target, property);
  };
}
