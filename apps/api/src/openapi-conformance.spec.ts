import { readFileSync } from 'node:fs';

/**
 * Our committed OpenAPI document against the reference contract (contract/reference.openapi.json, see its README):
 * every reference operation we implement must keep its method, path, parameters, request body fields, success status
 * and success schema, so clients generated from the reference keep working. Extras are allowed only as optional fields.
 */

type Schema = Record<string, unknown>;
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

const reference = JSON.parse(
  readFileSync(new URL('../../../contract/reference.openapi.json', import.meta.url), 'utf8'),
) as Document;
const ours = JSON.parse(readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8')) as Document;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** A schema reduced to what the wire depends on: type, nullability, format, items, and an object's fields. */
interface Shape {
  type: string;
  nullable: boolean;
  items?: Shape;
  ref?: string;
}

function resolve(document: Document, schema: Schema): Schema {
  const ref = schema.$ref as string | undefined;
  return ref ? document.components.schemas[ref.split('/').pop()!] : schema;
}

/** 3.1 `anyOf [X, {type: null}]` and 3.0 `nullable: true` / `allOf [X]` are the same thing on the wire. */
function shape(document: Document, raw: Schema): Shape {
  const anyOf = raw.anyOf as Schema[] | undefined;
  if (anyOf) {
    const nonNull = anyOf.filter((option) => option.type !== 'null');
    const inner = nonNull.length === 1 ? shape(document, nonNull[0]) : { type: 'union', nullable: false };
    return { ...inner, nullable: inner.nullable || nonNull.length < anyOf.length };
  }
  const allOf = raw.allOf as Schema[] | undefined;
  if (allOf?.length === 1) return { ...shape(document, allOf[0]), nullable: raw.nullable === true };
  if (raw.$ref) {
    const name = (raw.$ref as string).split('/').pop()!;
    return { ...shape(document, resolve(document, raw)), ref: name };
  }
  const items = raw.items ? shape(document, raw.items as Schema) : undefined;
  return { type: String(raw.type ?? 'object'), nullable: raw.nullable === true, ...(items && { items }) };
}

function withoutRef(value: Shape): Omit<Shape, 'ref'> {
  const { ref: _ref, items, ...rest } = value;
  return items ? { ...rest, items: withoutRef(items) } : rest;
}

/** Mismatches between a reference object schema and ours: fields, types, required list, minLength. */
function compareObject(where: string, refSchema: Schema, ourSchema: Schema): string[] {
  const refObject = resolve(reference, refSchema);
  const ourObject = resolve(ours, ourSchema);
  const problems: string[] = [];
  const refProps = (refObject.properties ?? {}) as Record<string, Schema>;
  const ourProps = (ourObject.properties ?? {}) as Record<string, Schema>;
  const refRequired = [...((refObject.required as string[]) ?? [])].sort();
  const ourRequired = [...((ourObject.required as string[]) ?? [])].sort();
  if (JSON.stringify(refRequired) !== JSON.stringify(ourRequired)) {
    problems.push(`${where}: required ${JSON.stringify(ourRequired)}, reference ${JSON.stringify(refRequired)}`);
  }
  for (const [name, refProp] of Object.entries(refProps)) {
    const ourProp = ourProps[name];
    if (!ourProp) {
      problems.push(`${where}.${name}: missing`);
      continue;
    }
    const expected = withoutRef(shape(reference, refProp));
    const actual = withoutRef(shape(ours, ourProp));
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      problems.push(`${where}.${name}: ${JSON.stringify(actual)}, reference ${JSON.stringify(expected)}`);
    }
    const refMin = resolve(reference, refProp).minLength;
    if (refMin !== undefined && resolve(ours, ourProp).minLength !== refMin) {
      problems.push(
        `${where}.${name}: minLength ${String(resolve(ours, ourProp).minLength)}, reference ${String(refMin)}`,
      );
    }
  }
  return problems;
}

function successStatus(operation: Operation): string {
  return Object.keys(operation.responses).find((status) => status.startsWith('2'))!;
}

function compareOperation(method: string, path: string, refOp: Operation, ourOp: Operation): string[] {
  const where = `${method.toUpperCase()} ${path}`;
  const problems: string[] = [];
  const params = (op: Operation) =>
    new Map(
      (op.parameters ?? []).filter((p) => p.in === 'query' || p.in === 'path').map((p) => [`${p.in}:${p.name}`, p]),
    );
  const refParams = params(refOp);
  const ourParams = params(ourOp);
  for (const [key, refParam] of refParams) {
    const ourParam = ourParams.get(key);
    if (!ourParam) {
      problems.push(`${where}: parameter ${key} missing`);
      continue;
    }
    // A 3.1 `anyOf [X, {type: null}]` parameter is our 3.0 `nullable: true` X, as for fields.
    const expected = {
      required: refParam.required ?? false,
      ...withoutRef(shape(reference, refParam.schema ?? {})),
      default: refParam.schema?.default,
    };
    const actual = {
      required: ourParam.required ?? false,
      ...withoutRef(shape(ours, ourParam.schema ?? {})),
      default: ourParam.schema?.default,
    };
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      problems.push(`${where}: parameter ${key} ${JSON.stringify(actual)}, reference ${JSON.stringify(expected)}`);
    }
  }
  for (const [key, ourParam] of ourParams) {
    if (!refParams.has(key) && ourParam.required) problems.push(`${where}: extra parameter ${key} must be optional`);
  }

  const refBody = refOp.requestBody?.content['application/json']?.schema;
  const ourBody = ourOp.requestBody?.content['application/json']?.schema;
  if (refBody && !ourBody) problems.push(`${where}: request body missing`);
  if (refBody && ourBody) problems.push(...compareObject(`${where} body`, refBody, ourBody));

  const refStatus = successStatus(refOp);
  const ourStatus = successStatus(ourOp);
  if (refStatus !== ourStatus) problems.push(`${where}: success status ${ourStatus}, reference ${refStatus}`);
  const refSuccess = refOp.responses[refStatus]?.content?.['application/json']?.schema;
  const ourSuccess = ourOp.responses[ourStatus]?.content?.['application/json']?.schema;
  if (refSuccess && !ourSuccess) problems.push(`${where}: success schema missing`);
  if (refSuccess && ourSuccess) {
    const expected = shape(reference, refSuccess);
    const actual = shape(ours, ourSuccess);
    if (expected.nullable !== actual.nullable || expected.type !== actual.type) {
      problems.push(
        `${where}: success ${JSON.stringify(withoutRef(actual))}, reference ${JSON.stringify(withoutRef(expected))}`,
      );
    }
    if (expected.type === 'object')
      problems.push(...compareObject(`${where} response`, unwrap(refSuccess), unwrap(ourSuccess)));
    if (expected.items?.type === 'object') {
      problems.push(...compareObject(`${where} response[]`, refSuccess.items as Schema, ourSuccess.items as Schema));
    }
  }
  return problems;
}

/** The object schema behind a nullable wrapper (anyOf / allOf). */
function unwrap(schema: Schema): Schema {
  const options = (schema.anyOf ?? schema.allOf) as Schema[] | undefined;
  return options ? options.find((option) => option.type !== 'null')! : schema;
}

const referenceOperations = Object.entries(reference.paths).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method] })),
);
const implemented = referenceOperations.filter(({ method, path }) => ours.paths[path]?.[method]);

describe('OpenAPI conformance with the reference contract', () => {
  it('lists implemented and not yet implemented reference operations', () => {
    const rows = referenceOperations.map(({ method, path, operation }) => {
      const ourOp = ours.paths[path]?.[method];
      return `${ourOp ? 'implemented    ' : 'not yet        '} ${method.toUpperCase().padEnd(6)} ${path.padEnd(62)} ${ourOp?.operationId ?? operation.operationId}`;
    });
    process.stdout.write(
      `\nReference operations (${implemented.length}/${referenceOperations.length} implemented):\n${rows.join('\n')}\n`,
    );
    // A floor, so an operation that stops matching its reference path cannot silently drop out of the checks below.
    expect(implemented.length).toBeGreaterThanOrEqual(10);
  });

  it.each(
    implemented.map(
      ({ method, path, operation }) => [`${method.toUpperCase()} ${path}`, method, path, operation] as const,
    ),
  )('%s matches the reference', (_name, method, path, refOp) => {
    expect(compareOperation(method, path, refOp, ours.paths[path][method])).toEqual([]);
  });

  it('gives every operation a camelCase operationId, a tag, a summary, its 413/503 and examples for every error', () => {
    const problems: string[] = [];
    for (const [path, item] of Object.entries(ours.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method] as Operation & { tags?: string[]; summary?: string };
        const where = `${method.toUpperCase()} ${path}`;
        if (!/^[a-z][A-Za-z0-9]*$/.test(op.operationId ?? '')) problems.push(`${where}: operationId ${op.operationId}`);
        if (!op.tags?.length) problems.push(`${where}: no tag`);
        if (!op.summary) problems.push(`${where}: no summary`);
        if (op.requestBody && !op.responses['413']) problems.push(`${where}: has a body but no 413`);
        if (!path.includes('health') && !op.responses['503']) problems.push(`${where}: no 503`);
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          const json = response.content?.['application/json'] as
            { schema?: unknown; example?: unknown; examples?: unknown } | undefined;
          if (!json?.schema) problems.push(`${where} ${status}: no schema`);
          if (json && json.example === undefined && json.examples === undefined)
            problems.push(`${where} ${status}: no example`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
