import 'reflect-metadata';
import { PydanticValidationPipe } from './pydantic-validation.pipe.js';
import { IsIntegerBetween, isStorableText } from './validators.js';

describe('isStorableText', () => {
  it.each([
    ['plain text', 'My SaaS App'],
    ['the empty string', ''],
    ['an astral character (a well-formed surrogate pair)', 'launch 😀'],
    ['combining marks and other scripts', 'e\u0301 日本語 עברית'],
    ['tabs, newlines and other controls PostgreSQL stores', 'a\tb\nc\u0001\u007f'],
    ['U+FFFD itself', '\uFFFD'],
    ['a non-string (the type is judged elsewhere)', 42],
  ])('accepts %s', (_name, value) => {
    expect(isStorableText(value)).toBe(true);
  });

  it.each([
    ['a NUL character', 'a\u0000b'],
    ['a NUL character alone', '\u0000'],
    ['an unpaired high surrogate', 'a\ud800b'],
    ['an unpaired low surrogate', '\udc00'],
    ['a high surrogate at the end', 'launch \ud83d'],
    ['a pair in the wrong order', '\ude00\ud83d'],
  ])('refuses %s', (_name, value) => {
    expect(isStorableText(value)).toBe(false);
  });
});

describe('IsIntegerBetween', () => {
  class Body {
    @IsIntegerBetween(0, 730)
    days!: number;
  }
  const pipe = new PydanticValidationPipe();
  const validate = (days: unknown) =>
    pipe.transform({ days }, { type: 'body', metatype: Body, data: undefined }).then(
      () => undefined,
      (error: { getResponse(): unknown }) => error.getResponse(),
    );

  it.each([0, 1, 14, 730])('accepts %p', async (days) => {
    expect(await validate(days)).toBeUndefined();
  });

  it.each([
    ['a string of digits', '14', 'int_type', 'Input should be a valid integer'],
    ['a boolean', true, 'int_type', 'Input should be a valid integer'],
    ['null', null, 'int_type', 'Input should be a valid integer'],
    ['an object', {}, 'int_type', 'Input should be a valid integer'],
    ['a fraction', 1.5, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part'],
    [
      'a negative fraction (the type before the bound)',
      -0.5,
      'int_from_float',
      'Input should be a valid integer, got a number with a fractional part',
    ],
    ['below the minimum', -1, 'greater_than_equal', 'Input should be greater than or equal to 0'],
    ['above the maximum', 731, 'less_than_equal', 'Input should be less than or equal to 730'],
  ])('refuses %s with one Pydantic error', async (_name, days, type, msg) => {
    expect(await validate(days)).toEqual({ detail: [{ loc: ['body', 'days'], msg, type }] });
  });
});
