import { ValidateBy } from 'class-validator';

/** Longest redirect URL accepted (a portal's return_url, a checkout's success_url and cancel_url); never truncated. */
export const REDIRECT_URL_MAX_LENGTH = 2048;

const SCHEME = /^https?:\/\//i;
// Whitespace, C0 and C1 controls (\p{Cc}), invisible format characters such as zero-width spaces and bidi overrides
// (\p{Cf}: they make a URL read differently from where it goes), lone surrogates (\p{Cs}: not encodable, so Stripe
// could never receive them) and backslashes (which browsers read as `/`).
const FORBIDDEN_CHARACTERS = /[\s\p{Cc}\p{Cf}\p{Cs}\\]/u;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$/;

/**
 * Why `raw` is not an acceptable URL to send a user back to, worded for the request field `field`, judged on the
 * string as sent (a URL parser would silently "repair" `https:\\evil` or `http:evil` into another host), or undefined
 * when it is acceptable. The reason never repeats the URL.
 */
export function redirectUrlProblem(raw: string, field: string): string | undefined {
  if (!SCHEME.test(raw)) return `${field} must be an absolute URL starting with http:// or https://`;
  if (FORBIDDEN_CHARACTERS.test(raw)) {
    return `${field} must not contain whitespace, control characters or backslashes`;
  }
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const authority = afterScheme.split(/[/?#]/, 1)[0];
  if (authority.includes('@')) return `${field} must not contain a username or password`;
  const portMatch = /^(.*?)(?::(\d*))?$/.exec(authority);
  const host = portMatch?.[1] ?? '';
  const port = portMatch?.[2];
  if (host === '') return `${field} must include a host`;
  if (!HOST.test(host)) return `${field} has an invalid host`;
  if (port !== undefined && (port === '' || Number(port) < 1 || Number(port) > 65535)) {
    return `${field} has an invalid port`;
  }
  if (!URL.canParse(raw)) return `${field} is not a valid URL`;
  return undefined;
}

/** A redirect URL by redirectUrlProblem's rules, as a Pydantic `value_error` naming the field's problem. */
export function IsRedirectUrl(field: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRedirectUrl',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && redirectUrlProblem(value, field) === undefined,
        // The reason is one of redirectUrlProblem's fixed sentences, never the value itself.
        defaultMessage: (args) => `Value error, ${redirectUrlProblem(String(args?.value), field) ?? 'invalid URL'}`,
      },
    },
    { context: { type: 'value_error' } },
  );
}
