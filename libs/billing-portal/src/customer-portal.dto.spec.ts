import 'reflect-metadata';
import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import {
  IsPresent,
  PydanticValidationPipe,
  REDIRECT_URL_MAX_LENGTH,
  RequestValidationException,
} from '#libs/http-errors';
import { CustomerPortalRequest, PORTAL_LOCALES } from './customer-portal.dto.js';

const metadata: ArgumentMetadata = { type: 'body', metatype: CustomerPortalRequest, data: undefined };
const pipe = new PydanticValidationPipe();

/** class-validator's own verdict on a body as it arrives off the wire: the pipe without the shortcut. */
function classValidator(body: unknown): Promise<unknown> {
  const wire: unknown = JSON.parse(JSON.stringify(body));
  return ValidationPipe.prototype.transform.call(pipe, wire, metadata) as Promise<unknown>;
}

const RETURN_URL = 'https://myapp.example.com/account/billing';
const longest = `https://example.com/${'a'.repeat(REDIRECT_URL_MAX_LENGTH - 'https://example.com/'.length)}`;

const returnUrls = fc.oneof(
  fc.constantFrom(RETURN_URL, 'http://localhost:3000/', longest, `${longest}a`, 'https://exa mple.com', ''),
  fc.webUrl(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\uFE0F', 'https://example.com/\uFE0F', `https://example.com/${'\uFE0F'.repeat(2100)}`),
  fc.constantFrom('https://example.com/\u0000', 'https://example.com/\ud800', 'https://example.com/\udc00x'),
  fc.jsonValue(),
);
const locales = fc.oneof(
  fc.constantFrom(...PORTAL_LOCALES),
  fc.constantFrom('EN', 'en-us', 'xx', '', null, 'en\u0000', 'fr\ud800'),
  fc.string(),
  fc.jsonValue(),
);
const bodies = fc.oneof(
  fc.record({ return_url: returnUrls, locale: locales }, { requiredKeys: [] }),
  fc.record({ return_url: returnUrls }),
  fc
    .tuple(
      fc.record({ return_url: returnUrls, locale: locales }),
      fc.constantFrom('__proto__', 'flow', 'extra', 'constructor'),
      fc.jsonValue(),
    )
    .map(
      ([body, key, value]) =>
        JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}, ${JSON.stringify(body).slice(1)}`) as object,
    ),
  fc.dictionary(fc.string(), fc.jsonValue()),
);

describe('CustomerPortalRequest.acceptCommonBody', () => {
  it('accepts only bodies class-validator accepts, and builds the very instance class-validator builds', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const wire = JSON.parse(JSON.stringify(body)) as object;
        const shortcut = CustomerPortalRequest.acceptCommonBody(wire);
        if (shortcut === undefined) return;
        accepted += 1;
        expect(shortcut).toStrictEqual(await classValidator(body));
      }),
      { numRuns: 3000 },
    );
    // The generators reach the shortcut often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(100);
  });

  it.each([
    ['the usual body', { return_url: RETURN_URL }],
    ['the longest return_url', { return_url: longest }],
    ['a return_url with port, query and fragment', { return_url: 'http://localhost:3000/done?x=1#top' }],
    ['a locale', { return_url: RETURN_URL, locale: 'pt-BR' }],
    ['locale first', { locale: 'fr', return_url: RETURN_URL }],
  ])('accepts %s as class-validator does', async (_name, body) => {
    const shortcut = CustomerPortalRequest.acceptCommonBody(body);
    expect(shortcut).toBeInstanceOf(CustomerPortalRequest);
    expect(shortcut).toStrictEqual(await classValidator(body));
  });

  it('accepts every portal locale', () => {
    for (const locale of PORTAL_LOCALES) {
      expect(CustomerPortalRequest.acceptCommonBody({ return_url: RETURN_URL, locale })).toStrictEqual(
        Object.assign(new CustomerPortalRequest(), { return_url: RETURN_URL, locale }),
      );
    }
  });

  it.each([
    ['an empty body', {}],
    ['a return_url one character too long', { return_url: `${longest}a` }],
    ['an empty return_url', { return_url: '' }],
    ['an ftp return_url', { return_url: 'ftp://example.com' }],
    ['a return_url with credentials', { return_url: 'https://user:pw@example.com' }],
    ['a numeric return_url', { return_url: 42 }],
    ['an unknown locale', { return_url: RETURN_URL, locale: 'xx' }],
    ['a null locale', { return_url: RETURN_URL, locale: null }],
    ['a flow', { return_url: RETURN_URL, flow: { type: 'payment_method_update' } }],
    ['an unknown field', { return_url: RETURN_URL, extra: 1 }],
    ['a return_url with a NUL character', { return_url: `${RETURN_URL}\u0000` }],
    ['a return_url with an unpaired surrogate', { return_url: `${RETURN_URL}\ud800` }],
    ['a locale with a NUL character', { return_url: RETURN_URL, locale: 'en\u0000' }],
    ['a __proto__ key', JSON.parse(`{"__proto__": {"admin": true}, "return_url": "${RETURN_URL}"}`) as object],
  ])('leaves %s to class-validator', (_name, body) => {
    expect(CustomerPortalRequest.acceptCommonBody(body)).toBeUndefined();
  });

  it('is not inherited: the pipe sends a subclass with rules of its own to class-validator', async () => {
    class WithReference extends CustomerPortalRequest {
      @IsPresent()
      reference!: string;
    }
    await expect(
      pipe.transform({ return_url: RETURN_URL }, { type: 'body', metatype: WithReference, data: undefined }),
    ).rejects.toBeInstanceOf(RequestValidationException);
  });

  it('is what the validation pipe returns for a common body', async () => {
    const body = { return_url: RETURN_URL, locale: 'de' };
    const validated = await pipe.transform(body, metadata);
    expect(validated).toBeInstanceOf(CustomerPortalRequest);
    expect(validated).toStrictEqual(Object.assign(new CustomerPortalRequest(), body));
  });
});
