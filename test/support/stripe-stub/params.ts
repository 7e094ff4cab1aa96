/** What a Stripe route answers: status, JSON body and extra headers. */
export interface Reply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** Refused before the endpoint ran (bad parameters): Stripe keeps no idempotent result for it. */
  unsaved?: boolean;
}

export interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error';
  message: string;
  code?: string;
  param?: string;
}

export function ok(body: unknown): Reply {
  return { status: 200, body, headers: {} };
}

export function stripeError(status: number, error: StripeErrorBody, headers: Record<string, string> = {}): Reply {
  // Stripe links every coded error to its documentation page.
  const docUrl = error.code ? { doc_url: `https://stripe.com/docs/error-codes/${error.code.replace(/_/g, '-')}` } : {};
  return { status, body: { error: { ...error, ...docUrl } }, headers };
}

export function invalidRequest(message: string, param?: string, code?: string): Reply {
  return stripeError(400, {
    type: 'invalid_request_error',
    message,
    ...(code === undefined ? {} : { code }),
    ...(param === undefined ? {} : { param }),
  });
}

export function noSuch(objectName: string, id: string, param: string, status = 400): Reply {
  return stripeError(status, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${objectName}: '${id}'`,
  });
}

/**
 * What a route accepts, to refuse anything else as Stripe does: scalars, `metadata` (any key), `expand` (a list of
 * strings), nested objects, and lists (`[element]`, sent as `name[0][field]`).
 */
export type ParamSpec =
  'string' | 'integer' | 'boolean' | 'metadata' | 'expand' | ParamSpec[] | { [name: string]: ParamSpec };
export type ObjectSpec = { [name: string]: ParamSpec };

/** Decoded form parameters: strings, numbers (integers), booleans, objects; lists are objects keyed by index. */
export type Params = { [name: string]: string | number | boolean | string[] | Params };

type Problem = { unknown: string } | { invalid: Reply };

/**
 * Reads form-encoded parameters (`a[b][0][c]=v`, in sent order) against the route's spec: the params, or the reply
 * Stripe gives (unknown parameters first, all of them named, then the first invalid value).
 */
export function readParams(
  entries: Iterable<[string, string]>,
  spec: ObjectSpec,
): { params: Params } | { error: Reply } {
  const params: Params = {};
  const unknown: string[] = [];
  let invalid: Reply | undefined;
  for (const [key, value] of entries) {
    const segments = keySegments(key);
    const [name, ...rest] = segments ?? [key];
    const fieldSpec = segments ? spec[name] : undefined;
    const problem = fieldSpec === undefined ? { unknown: name } : assign(params, name, fieldSpec, rest, name, value);
    if (problem && 'unknown' in problem) {
      if (!unknown.includes(problem.unknown)) unknown.push(problem.unknown);
    } else if (problem) invalid ??= problem.invalid;
  }
  if (unknown.length > 0) {
    const message = `Received unknown parameter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`;
    return { error: { ...invalidRequest(message, unknown[0], 'parameter_unknown'), unsaved: true } };
  }
  return invalid ? { error: { ...invalid, unsaved: true } } : { params };
}

function assign(
  target: Params,
  field: string,
  spec: ParamSpec,
  rest: string[],
  path: string,
  value: string,
): Problem | undefined {
  if (spec === 'string' || spec === 'integer' || spec === 'boolean') {
    if (rest.length > 0) return { unknown: `${path}[${rest[0]}]` };
    if (spec === 'integer' && !/^-?\d+$/.test(value)) {
      return { invalid: invalidRequest(`Invalid integer: ${value}`, path, 'parameter_invalid_integer') };
    }
    if (spec === 'boolean' && value !== 'true' && value !== 'false') {
      return { invalid: invalidRequest(`Invalid boolean: ${value}`, path) };
    }
    target[field] = spec === 'integer' ? Number(value) : spec === 'boolean' ? value === 'true' : value;
    return undefined;
  }
  if (spec === 'metadata') {
    if (rest.length !== 1) return { invalid: invalidRequest('Invalid object', path) };
    const metadata = (target[field] ??= {}) as Params;
    // An empty value unsets the key.
    if (value === '') delete metadata[rest[0]];
    else metadata[rest[0]] = value;
    return undefined;
  }
  if (spec === 'expand') {
    if (rest.length !== 1 || !/^\d*$/.test(rest[0])) return { invalid: invalidRequest('Invalid array', path) };
    const list = (target[field] ??= []) as string[];
    list.push(value);
    return undefined;
  }
  const [next, ...more] = rest;
  if (Array.isArray(spec)) {
    if (next === undefined || !/^\d+$/.test(next)) return { invalid: invalidRequest('Invalid array', path) };
    return assign((target[field] ??= {}) as Params, next, spec[0], more, `${path}[${next}]`, value);
  }
  if (next === undefined) return { invalid: invalidRequest('Invalid object', path) };
  const fieldSpec = spec[next];
  if (fieldSpec === undefined) return { unknown: `${path}[${next}]` };
  return assign((target[field] ??= {}) as Params, next, fieldSpec, more, `${path}[${next}]`, value);
}

/** `a[b][0]` -> ['a', 'b', '0']; null when the key is not in Stripe's bracket form. */
function keySegments(key: string): string[] | null {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return null;
  return [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1])];
}

/** The elements of a list parameter, in index order. */
export function listParam(value: Params[string] | undefined): Params[] {
  if (value === undefined || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value)
    .sort((a, b) => Number(a) - Number(b))
    .map((index) => value[index] as Params);
}

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerParam(params: Params, name: string): number | undefined {
  const value = params[name];
  return typeof value === 'number' ? value : undefined;
}

export function booleanParam(params: Params, name: string): boolean | undefined {
  const value = params[name];
  return typeof value === 'boolean' ? value : undefined;
}

export function objectParam(params: Params, name: string): Params | undefined {
  const value = params[name];
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

export function metadataParam(params: Params, name = 'metadata'): Record<string, string> {
  return { ...((objectParam(params, name) ?? {}) as Record<string, string>) };
}

export function expandParam(params: Params): string[] {
  const value = params.expand;
  return Array.isArray(value) ? value : [];
}
