import { RequestValidationException } from './validation-errors.js';
import { parseQueryBoolean, StripeModePipe, TestModePipe } from './test-mode.pipe.js';

describe('parseQueryBoolean', () => {
  it.each(['true', 'TRUE', 'True', '1', 'yes', 'YES', 'on', 'On', 't', 'T', 'y', 'Y'])('reads %p as true', (raw) => {
    expect(parseQueryBoolean(raw, false)).toBe(true);
  });

  it.each(['false', 'FALSE', '0', 'no', 'No', 'off', 'OFF', 'f', 'F', 'n', 'N'])('reads %p as false', (raw) => {
    expect(parseQueryBoolean(raw, true)).toBe(false);
  });

  it.each(['', ' ', 'true ', ' true', '2', '-1', 'yess', 'nope', 'truee', '0x1', 'null', 'undefined', '１'])(
    'refuses %p',
    (raw) => {
      expect(parseQueryBoolean(raw, true)).toBeUndefined();
    },
  );

  it('uses the default when absent', () => {
    expect(parseQueryBoolean(undefined, true)).toBe(true);
    expect(parseQueryBoolean(undefined, false)).toBe(false);
  });

  it('takes the last of repeated values', () => {
    expect(parseQueryBoolean(['true', 'false'], true)).toBe(false);
    expect(parseQueryBoolean(['false', 'yes'], false)).toBe(true);
    expect(parseQueryBoolean(['true', 'maybe'], true)).toBeUndefined();
  });

  it('refuses nested query objects', () => {
    expect(parseQueryBoolean({ a: 'true' }, true)).toBeUndefined();
  });
});

describe('TestModePipe', () => {
  it('answers 422 at ["query", "test_mode"] with bool_parsing', () => {
    const pipe = new TestModePipe();
    let caught: unknown;
    try {
      pipe.transform('maybe');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestValidationException);
    expect((caught as RequestValidationException).getStatus()).toBe(422);
    expect((caught as RequestValidationException).getResponse()).toEqual({
      detail: [
        {
          loc: ['query', 'test_mode'],
          msg: 'Input should be a valid boolean, unable to interpret input',
          type: 'bool_parsing',
        },
      ],
    });
  });
});

describe('StripeModePipe', () => {
  const pipe = new StripeModePipe();

  it.each([
    [undefined, 'test'],
    ['true', 'test'],
    ['1', 'test'],
    ['false', 'live'],
    ['off', 'live'],
    [['true', 'no'], 'live'],
  ])('reads %p as %s mode', (raw, mode) => {
    expect(pipe.transform(raw)).toBe(mode);
  });

  it('answers the same 422 as TestModePipe for anything else', () => {
    expect(() => pipe.transform('live')).toThrow(RequestValidationException);
    try {
      pipe.transform('live');
    } catch (error) {
      expect((error as RequestValidationException).getResponse()).toEqual({
        detail: [
          {
            loc: ['query', 'test_mode'],
            msg: 'Input should be a valid boolean, unable to interpret input',
            type: 'bool_parsing',
          },
        ],
      });
    }
  });
});
