import { isStorableText } from './validators.js';

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
