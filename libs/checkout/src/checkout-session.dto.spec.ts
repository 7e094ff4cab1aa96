import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { PydanticValidationPipe, type ValidationIssue } from '#libs/http-errors';
import { CheckoutSessionRequest, metadataProblem } from './checkout-session.dto.js';

const metadata: ArgumentMetadata = { type: 'body', metatype: CheckoutSessionRequest, data: undefined };
const pipe = new PydanticValidationPipe();
const VALID = {
  price_id: 'price_1ABC123def456',
  success_url: 'https://myapp.com/success?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'https://myapp.com/pricing',
};

/** The body as it arrives off the wire, through the validation pipe: the request, or the 422's issues. */
async function validate(body: unknown): Promise<CheckoutSessionRequest | ValidationIssue[]> {
  const wire: unknown = typeof body === 'string' ? JSON.parse(body) : JSON.parse(JSON.stringify(body));
  try {
    return (await pipe.transform(wire, metadata)) as CheckoutSessionRequest;
  } catch (error) {
    return (error as { issues: ValidationIssue[] }).issues;
  }
}

const issue = (field: string, type: string, msg: string): ValidationIssue[] => [{ loc: ['body', field], msg, type }];
const valueError = (field: string, reason: string) => issue(field, 'value_error', `Value error, ${reason}`);

describe('CheckoutSessionRequest', () => {
  it('fills the reference defaults: subscription, quantity 1, no metadata, allow_existing_subscription false', async () => {
    const request = await validate(VALID);
    expect(request).toBeInstanceOf(CheckoutSessionRequest);
    expect(request).toEqual(
      Object.assign(new CheckoutSessionRequest(), {
        ...VALID,
        mode: 'subscription',
        quantity: 1,
        allow_existing_subscription: false,
      }),
    );
  });

  it('keeps what the caller sent, drops unknown fields, and keeps the {CHECKOUT_SESSION_ID} placeholder', async () => {
    const request = await validate({
      ...VALID,
      mode: 'payment',
      quantity: 10_000,
      metadata: { plan: 'pro', seats: 3, trial: true },
      allow_existing_subscription: true,
      customer: 'cus_someoneElse',
    });
    expect(request).toEqual(
      Object.assign(new CheckoutSessionRequest(), {
        ...VALID,
        mode: 'payment',
        quantity: 10_000,
        metadata: { plan: 'pro', seats: 3, trial: true },
        allow_existing_subscription: true,
      }),
    );
    expect((request as CheckoutSessionRequest).success_url).toContain('{CHECKOUT_SESSION_ID}');
  });

  it.each([null, {}])('accepts the metadata %j', async (value) => {
    expect(await validate({ ...VALID, metadata: value })).toBeInstanceOf(CheckoutSessionRequest);
  });

  it('reports each missing required field, in order', async () => {
    expect(await validate({})).toEqual([
      ...issue('price_id', 'missing', 'Field required'),
      ...issue('success_url', 'missing', 'Field required'),
      ...issue('cancel_url', 'missing', 'Field required'),
    ]);
  });

  it.each([
    [{ price_id: null }, issue('price_id', 'string_type', 'Input should be a valid string')],
    [{ price_id: '\tprice_1' }, valueError('price_id', 'price_id must not contain whitespace')],
    [{ price_id: 'price\u00a0x' }, valueError('price_id', 'price_id must not contain whitespace')],
    [{ price_id: 'x'.repeat(255) }, undefined],
    [
      { success_url: '/relative' },
      valueError('success_url', 'success_url must be an absolute URL starting with http:// or https://'),
    ],
    [{ cancel_url: 'https://exa_mple.com' }, valueError('cancel_url', 'cancel_url has an invalid host')],
    [
      { mode: 'Subscription' },
      issue('mode', 'string_pattern_mismatch', "String should match pattern '^(subscription|payment)$'"),
    ],
    [{ mode: 1 }, issue('mode', 'string_type', 'Input should be a valid string')],
    [{ quantity: true }, issue('quantity', 'int_type', 'Input should be a valid integer')],
    [{ quantity: -1 }, issue('quantity', 'greater_than_equal', 'Input should be greater than or equal to 1')],
    [
      { allow_existing_subscription: 1 },
      issue('allow_existing_subscription', 'bool_type', 'Input should be a valid boolean'),
    ],
    [
      { allow_existing_subscription: null },
      issue('allow_existing_subscription', 'bool_type', 'Input should be a valid boolean'),
    ],
    [{ metadata: [] }, issue('metadata', 'dict_type', 'Input should be a valid dictionary')],
    [{ metadata: 7 }, issue('metadata', 'dict_type', 'Input should be a valid dictionary')],
    [{ metadata: { a: [1] } }, valueError('metadata', 'metadata values must be strings, numbers or booleans')],
  ])('judges %j', async (overrides, issues) => {
    const result = await validate({ ...VALID, ...overrides });
    if (issues === undefined) expect(result).toBeInstanceOf(CheckoutSessionRequest);
    else expect(result).toEqual(issues);
  });

  it('drops a __proto__ key from metadata, leaving the object plain (nothing reaches Stripe or a prototype)', async () => {
    const result = (await validate(`{"price_id": "price_1", "success_url": "https://a.example",
      "cancel_url": "https://a.example", "metadata": {"__proto__": {"project_id": "p"}, "plan": "pro"}}`)) as CheckoutSessionRequest;
    expect(result).toBeInstanceOf(CheckoutSessionRequest);
    expect(Object.getPrototypeOf(result.metadata)).toBe(Object.prototype);
    expect(Object.entries(result.metadata ?? {})).toEqual([['plan', 'pro']]);
    expect((result.metadata as Record<string, unknown>).project_id).toBeUndefined();
  });
});

describe('metadataProblem', () => {
  const withKeys = (count: number) =>
    Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]));

  it.each([
    ['20 keys', withKeys(20)],
    ['a 40-character key and a 500-character value', { ['k'.repeat(40)]: 'v'.repeat(500) }],
    ['numbers and booleans', { n: -1.5, big: 1e21, yes: true }],
    ['an astral character', { emoji: '\u{1f511}' }],
    ['keys that only look reserved', { Project_Id: 'x', user_id_hint: 'y' }],
  ])('accepts %s', (_name, value) => {
    expect(metadataProblem(value)).toBeUndefined();
  });

  it.each([
    ['21 keys', withKeys(21), 'metadata may have at most 20 keys'],
    ['a 41-character key', { ['k'.repeat(41)]: 'v' }, 'metadata keys must be 1 to 40 characters'],
    ['an empty key', { '': 'v' }, 'metadata keys must be 1 to 40 characters'],
    ['a bracket in a key', { 'a]': 'v' }, 'metadata keys must not contain square brackets'],
    ['project_id', { project_id: 'x' }, 'metadata keys project_id and user_id are reserved for the service'],
    ['user_id', { user_id: 'x' }, 'metadata keys project_id and user_id are reserved for the service'],
    ['a null value', { a: null }, 'metadata values must be strings, numbers or booleans'],
    ['an object value', { a: {} }, 'metadata values must be strings, numbers or booleans'],
    ['a 501-character value', { a: 'v'.repeat(501) }, 'metadata values must be at most 500 characters'],
    ['a NUL in a value', { a: 'x\u0000' }, 'metadata must not contain NUL characters or unpaired surrogates'],
    [
      'a lone surrogate in a key',
      { ['\udc00']: 'v' },
      'metadata must not contain NUL characters or unpaired surrogates',
    ],
  ])('refuses %s without repeating it', (_name, value, reason) => {
    const problem = metadataProblem(value as Record<string, unknown>);
    expect(problem).toBe(reason);
  });
});
