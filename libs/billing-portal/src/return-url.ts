/** Longest return_url accepted; longer ones are refused rather than truncated. */
export const RETURN_URL_MAX_LENGTH = 2048;

const SCHEME = /^https?:\/\//i;
// Whitespace, C0 and C1 controls (\p{Cc}), invisible format characters such as zero-width spaces and bidi overrides
// (\p{Cf}: they make a URL read differently from where it goes), lone surrogates (\p{Cs}: not encodable, so Stripe
// could never receive them) and backslashes (which browsers read as `/`).
const FORBIDDEN_CHARACTERS = /[\s\p{Cc}\p{Cf}\p{Cs}\\]/u;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$/;

/**
 * Why `raw` is not an acceptable return URL, judged on the string as sent (a URL parser would silently "repair"
 * `https:\\evil` or `http:evil` into another host), or undefined when it is acceptable.
 */
export function returnUrlProblem(raw: string): string | undefined {
  if (!SCHEME.test(raw)) return 'return_url must be an absolute URL starting with http:// or https://';
  if (FORBIDDEN_CHARACTERS.test(raw)) {
    return 'return_url must not contain whitespace, control characters or backslashes';
  }
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const authority = afterScheme.split(/[/?#]/, 1)[0];
  if (authority.includes('@')) return 'return_url must not contain a username or password';
  const portMatch = /^(.*?)(?::(\d*))?$/.exec(authority);
  const host = portMatch?.[1] ?? '';
  const port = portMatch?.[2];
  if (host === '') return 'return_url must include a host';
  if (!HOST.test(host)) return 'return_url has an invalid host';
  if (port !== undefined && (port === '' || Number(port) < 1 || Number(port) > 65535)) {
    return 'return_url has an invalid port';
  }
  if (!URL.canParse(raw)) return 'return_url is not a valid URL';
  return undefined;
}
