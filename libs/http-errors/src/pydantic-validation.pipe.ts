import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { Issue, RequestValidationException, type IssueKind, type ValidationIssue } from './validation-errors.js';

/**
 * class-validator with the reference API's 422 shape: each decorator carries its Pydantic error in `context`
 * (see `issue()`), unknown body fields are dropped, and the first failing rule of a field is the one reported.
 * class-validator runs a property's decorators bottom-up, so DTOs list the most basic rule (presence) last.
 */
export class PydanticValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: false,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new RequestValidationException(toIssues(errors, ['body'])),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Query parameters and headers have their own pipes with their own locations; this one owns the body.
    if (metadata.type !== 'body') return value;
    if (metadata.metatype && metadata.metatype !== Object) {
      if (value === undefined) throw RequestValidationException.at(['body'], Issue.missing);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw RequestValidationException.at(['body'], Issue.modelAttributesType);
      }
      // class-transformer recurses into every level: a few KB of `[[[[...]]]]` would overflow the stack.
      if (nestingDepthExceeds(value, MAX_BODY_DEPTH)) {
        throw RequestValidationException.at(['body'], Issue.jsonTooDeep(MAX_BODY_DEPTH));
      }
      // Own, not inherited: a subclass adds rules its parent's check knows nothing of.
      if (Object.hasOwn(metadata.metatype, 'acceptCommonBody')) {
        const accepted = (metadata.metatype as Partial<AcceptsCommonBodies<object>>).acceptCommonBody?.(value);
        if (accepted !== undefined) return accepted;
      }
    }
    return super.transform(value, metadata);
  }
}

/**
 * A body class that recognises its most common valid bodies by itself, with the same rules, so they skip
 * class-transformer and class-validator (about 15 us per request; bench/README.md). `acceptCommonBody` returns the
 * instance class-validator would have produced, or undefined for anything else: class-validator then judges the body
 * and words the 422. It must never accept a body class-validator refuses; each implementation has a property test.
 */
export interface AcceptsCommonBodies<T extends object> {
  acceptCommonBody(body: object): T | undefined;
}

/** Deeper JSON bodies are refused; no request of this API needs more than a few levels. */
export const MAX_BODY_DEPTH = 32;

/** Iterative, so that measuring a hostile body cannot itself overflow the stack. */
function nestingDepthExceeds(root: object, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Options for a class-validator decorator so its failure reports as the given Pydantic error. */
export function issue(kind: IssueKind): { context: IssueKind } {
  return { context: kind };
}

function toIssues(errors: ValidationError[], parent: (string | number)[]): ValidationIssue[] {
  return errors.flatMap((error) => {
    const loc = [...parent, Array.isArray(error.target) ? Number(error.property) : error.property];
    const own = Object.keys(error.constraints ?? {}).map((constraint) => {
      const kind = error.contexts?.[constraint] as Partial<IssueKind> | undefined;
      // A context without `msg` defers to the validator's own message (a reason computed per value).
      return {
        loc,
        type: kind?.type ?? 'value_error',
        msg: kind?.msg ?? error.constraints?.[constraint] ?? Issue.valueError('invalid value').msg,
      };
    });
    return [...own, ...toIssues(error.children ?? [], loc)];
  });
}
