import { HttpException, HttpStatus } from '@nestjs/common';

/** One entry of the reference API's 422 body (FastAPI / Pydantic v2 shape). The input value is never echoed. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type IssueKind = Omit<ValidationIssue, 'loc'>;

/** Pydantic v2's error types and messages, so clients of the reference API parse our 422s unchanged. */
export const Issue = {
  missing: { type: 'missing', msg: 'Field required' },
  stringType: { type: 'string_type', msg: 'Input should be a valid string' },
  stringTooShort: (min: number): IssueKind => ({
    type: 'string_too_short',
    msg: `String should have at least ${min} character${min === 1 ? '' : 's'}`,
  }),
  stringTooLong: (max: number): IssueKind => ({
    type: 'string_too_long',
    msg: `String should have at most ${max} character${max === 1 ? '' : 's'}`,
  }),
  boolParsing: { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' },
  modelAttributesType: {
    type: 'model_attributes_type',
    msg: 'Input should be a valid dictionary or object to extract fields from',
  },
  jsonInvalid: { type: 'json_invalid', msg: 'JSON decode error' },
  jsonTooDeep: (maxDepth: number): IssueKind => ({
    type: 'json_invalid',
    msg: `JSON decode error, nested deeper than ${maxDepth} levels`,
  }),
  uuidParsing: { type: 'uuid_parsing', msg: 'Input should be a valid UUID' },
  intParsing: { type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer' },
  greaterThanEqual: (min: number): IssueKind => ({
    type: 'greater_than_equal',
    msg: `Input should be greater than or equal to ${min}`,
  }),
  lessThanEqual: (max: number): IssueKind => ({
    type: 'less_than_equal',
    msg: `Input should be less than or equal to ${max}`,
  }),
  intType: { type: 'int_type', msg: 'Input should be a valid integer' },
  intFromFloat: { type: 'int_from_float', msg: 'Input should be a valid integer, got a number with a fractional part' },
  boolType: { type: 'bool_type', msg: 'Input should be a valid boolean' },
  dictType: { type: 'dict_type', msg: 'Input should be a valid dictionary' },
  stringPatternMismatch: (pattern: string): IssueKind => ({
    type: 'string_pattern_mismatch',
    msg: `String should match pattern '${pattern}'`,
  }),
  listType: { type: 'list_type', msg: 'Input should be a valid list' },
  valueError: (reason: string): IssueKind => ({ type: 'value_error', msg: `Value error, ${reason}` }),
  unstorableText: {
    type: 'value_error',
    msg: 'Value error, text must not contain NUL characters or unpaired surrogates',
  },
  literalError: (allowed: readonly string[]): IssueKind => ({
    type: 'literal_error',
    msg: `Input should be ${joinAlternatives(allowed.map((value) => `'${value}'`))}`,
  }),
} as const satisfies Record<string, IssueKind | ((...args: never[]) => IssueKind)>;

function joinAlternatives(values: string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** 422 with `{"detail": [{loc, msg, type}, ...]}`. */
export class RequestValidationException extends HttpException {
  constructor(readonly issues: ValidationIssue[]) {
    super({ detail: issues }, HttpStatus.UNPROCESSABLE_ENTITY);
  }

  static at(loc: (string | number)[], kind: IssueKind): RequestValidationException {
    return new RequestValidationException([{ loc, msg: kind.msg, type: kind.type }]);
  }
}
