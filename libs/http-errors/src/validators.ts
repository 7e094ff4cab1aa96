import { ValidateBy, type ValidationOptions } from 'class-validator';
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
