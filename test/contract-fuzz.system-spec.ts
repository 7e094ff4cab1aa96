import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import type Stripe from 'stripe';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { fixtures, type Fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { deliverSignedEvents } from './support/webhook-delivery.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken, WRONG_JWT_SECRET } from './support/tokens.js';

/**
 * Every authenticated operation of the committed openapi.json, fuzzed from its own declaration over real HTTP: random
 * callers, path parameters, query parameters, Idempotency-Key and JSON bodies built from the declared schemas (valid
 * values, boundary values and junk). Whatever comes in, the answer has a status the operation documents (never a 500)
 * and a body that validates against the schema documented for that status; success bodies carry no field the
 * document does not declare; no answer contains a stored secret; Object.prototype stays clean. A new route is covered
 * the moment it is in openapi.json, and the last test fails if an operation was never answered 2xx or 422.
 *
 * Each run uses a fresh random seed; a failure prints it. Replay with FUZZ_SEED=<seed>.
 */

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RUNS_PER_OPERATION = 120;

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const document = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as Document;

/** OpenAPI 3.0's `nullable` as JSON Schema; `strict` closes every object to its declared properties. */
function jsonSchema(schema: unknown, strict: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((item) => jsonSchema(item, strict));
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, example: _example, ...rest } = schema as Schema;
  const converted: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$ref') converted.$ref = `openapi${value as string}`;
    else if (key === 'properties')
      converted.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, property]) => [name, jsonSchema(property, strict)]),
      );
    else converted[key] = jsonSchema(value, strict);
  }
  if (strict && converted.properties && converted.additionalProperties === undefined) {
    converted.additionalProperties = false;
  }
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

function validators(strict: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (ajv: Ajv) => void)(ajv);
  ajv.addSchema({ components: { schemas: jsonSchema(document.components.schemas, strict) } }, 'openapi');
  return ajv;
}
const lenient = validators(false);
const strictAjv = validators(true);

function resolve(schema: Schema): Schema {
  const ref = schema.$ref as string | undefined;
  if (ref) return resolve(document.components.schemas[ref.split('/').pop()!]);
  const allOf = schema.allOf as Schema[] | undefined;
  if (allOf?.length === 1) return { ...resolve(allOf[0]), ...schema, allOf: undefined };
  const anyOf = schema.anyOf as Schema[] | undefined;
  const notNull = anyOf?.filter((option) => option.type !== 'null');
  if (notNull?.length === 1) return resolve(notNull[0]);
  return schema;
}

interface FuzzedOperation {
  id: string;
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  caller: 'end-user' | 'developer';
  operation: Operation;
  statuses: number[];
  response: Map<number, ValidateFunction>;
}

const operations: FuzzedOperation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([, operation]) => operation.security?.length)
    .map(([method, operation]) => {
      const forbidden = JSON.stringify(operation.responses['403'] ?? {});
      const response = new Map<number, ValidateFunction>();
      for (const [status, { content }] of Object.entries(operation.responses)) {
        const schema = content?.['application/json']?.schema;
        if (!schema) continue;
        // Success bodies are held to their declared fields (nothing undocumented leaks); errors to their shape.
        const ajv = Number(status) < 300 ? strictAjv : lenient;
        response.set(Number(status), ajv.compile(jsonSchema(schema, Number(status) < 300) as object));
      }
      return {
        id: `${method.toUpperCase()} ${path}`,
        method: method as FuzzedOperation['method'],
        path,
        caller: forbidden.includes('end-user access token') ? ('end-user' as const) : ('developer' as const),
        operation,
        statuses: Object.keys(operation.responses).map(Number),
        response,
      };
    }),
);

// ---------------------------------------------------------------------------------------------------------------
// The world every request lands in: two developers, each with a configured project, end users with customers,
// prices, a subscription and payments made through checkout and signed webhooks.

const KEY = `sk_test_${'F'.repeat(20)}fzzA`;
const OTHER_KEY = `sk_test_${'F'.repeat(20)}fzzB`;
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const world = {
  developer: randomUUID(),
  otherDeveloper: randomUUID(),
  project: randomUUID(),
  otherProject: randomUUID(),
  alice: randomUUID(),
  bob: randomUUID(),
  prices: [] as string[],
  customers: [] as string[],
};

type Caller = 'right' | 'other-tenant' | 'wrong-kind' | 'none' | 'expired' | 'wrong-key' | 'garbage';
const callerArb = fc.constantFrom<Caller>(
  ...(['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] as const),
  'other-tenant',
  'wrong-kind',
  'none',
  'expired',
  'wrong-key',
  'garbage',
);

function authorization(caller: Caller, kind: FuzzedOperation['caller']): string | undefined {
  const endUser = (user: string, project: string) => `Bearer ${endUserToken(user, project)}`;
  const developer = (id: string) => `Bearer ${accessToken({ sub: id })}`;
  switch (caller) {
    case 'right':
      return kind === 'end-user' ? endUser(world.alice, world.project) : developer(world.developer);
    case 'other-tenant':
      return kind === 'end-user' ? endUser(world.bob, world.otherProject) : developer(world.otherDeveloper);
    case 'wrong-kind':
      return kind === 'end-user' ? developer(world.developer) : endUser(world.alice, world.project);
    case 'none':
      return undefined;
    case 'expired':
      return `Bearer ${accessToken({ sub: world.alice, projectId: world.project, expiresInSeconds: -60 })}`;
    case 'wrong-key':
      return `Bearer ${accessToken({ sub: world.developer, secret: WRONG_JWT_SECRET })}`;
    case 'garbage':
      return 'Bearer not.a.token';
  }
}

/** Values no declared schema admits, or only at its edges. */
const junk = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e21, '', ' ', 'abc', '\u0000', 'ü', '__proto__', 'x'.repeat(300)),
  fc.integer(),
  fc.string({ maxLength: 30 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const junkText = fc.oneof(
  fc.constantFrom('', 'abc', '-1', '0', '1.5', '1e2', '101', '1000000000000000000000', 'TRUE', 'null', '[]', '%00'),
  fc.string({ maxLength: 20 }),
);

/** A value the schema (and the world) accepts, chosen by the field's name where the schema alone cannot say. */
function validValue(name: string, raw: Schema): fc.Arbitrary<unknown> {
  const schema = resolve(raw);
  if (/price_id/.test(name)) return fc.constantFrom(...world.prices);
  if (name === 'price_ids' || name === 'allowed_price_ids') return fc.subarray(world.prices);
  if (name === 'allowed_return_url_origins') return fc.constantFrom([], ['https://app.example.com']);
  if (/_url$/.test(name)) return fc.constantFrom('https://app.example.com/billing', 'https://app.example.com/done');
  if (name === 'stripe_customer_id') return fc.constantFrom(...world.customers);
  if (/secret_key$/.test(name)) return fc.constantFrom(KEY, '');
  if (/publishable_key$/.test(name)) return fc.constantFrom(`pk_test_${'P'.repeat(24)}`, '');
  if (/webhook_secret$/.test(name)) return fc.constantFrom(WEBHOOK_SECRET, '');
  if (/portal_configuration_id$/.test(name)) return fc.constantFrom(`bpc_${'Q'.repeat(24)}`, '');
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const choices = /^\^\(([\w|]+)\)\$$/.exec((schema.pattern as string | undefined) ?? '');
  if (choices) return fc.constantFrom(...choices[1].split('|'));
  switch (schema.type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number':
      return fc.integer({
        min: (schema.minimum as number | undefined) ?? 0,
        max: Math.min((schema.maximum as number | undefined) ?? 1000, 1000),
      });
    case 'array':
      return fc.array(validValue(name, (schema.items as Schema | undefined) ?? {}), { maxLength: 3 });
    case 'object':
      return schema.properties ? objectOf(schema) : fc.dictionary(fc.constantFrom('plan', 'ref'), fc.string());
    default: {
      const minLength = (schema.minLength as number | undefined) ?? 1;
      const maxLength = Math.min((schema.maxLength as number | undefined) ?? 40, 40);
      return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) }).filter((text) => text.trim() !== '');
    }
  }
}

/** An object for a declared schema: required fields mostly valid, optional ones absent, valid or junk, extra keys. */
function objectOf(raw: Schema): fc.Arbitrary<unknown> {
  const schema = resolve(raw);
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const fields = Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {}).map(
    ([name, property]) => {
      const valid = validValue(name, property).map((value) => [name, value] as const);
      const bad = junk.map((value) => [name, value] as const);
      const absent = fc.constant(undefined);
      return required.has(name)
        ? fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: bad }, { weight: 1, arbitrary: absent })
        : fc.oneof({ weight: 4, arbitrary: absent }, { weight: 4, arbitrary: valid }, { weight: 1, arbitrary: bad });
    },
  );
  const extra = fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'unknown_field', 'prototype'), junk), {
    freq: 8,
  });
  return fc.tuple(fc.tuple(...fields), extra).map(([entries, added]) => {
    const body: Record<string, unknown> = {};
    for (const entry of entries) if (entry) body[entry[0]] = entry[1];
    if (added) Object.defineProperty(body, added[0], { value: added[1], enumerable: true });
    return body;
  });
}

type PathValue = 'own' | 'foreign' | 'unknown' | 'upper-case' | 'not-a-uuid';
interface RequestSpec {
  caller: Caller;
  path: Record<string, PathValue>;
  query: [string, string][];
  idempotencyKey?: string;
  body?: unknown;
}

function requestSpec(fuzzed: FuzzedOperation): fc.Arbitrary<RequestSpec> {
  const parameters = fuzzed.operation.parameters ?? [];
  const pathValue = fc.constantFrom<PathValue>(
    'own',
    'own',
    'own',
    'own',
    'own',
    'own',
    'foreign',
    'unknown',
    'upper-case',
    'not-a-uuid',
  );
  const path = fc.record(
    Object.fromEntries(parameters.filter((p) => p.in === 'path').map((p) => [p.name, pathValue])) as Record<
      string,
      fc.Arbitrary<PathValue>
    >,
  );
  const queryParameters = parameters.filter((p) => p.in === 'query');
  const query = fc
    .tuple(
      ...queryParameters.map((p) =>
        fc.oneof(
          { weight: 3, arbitrary: fc.constant<[string, string][]>([]) },
          {
            weight: 5,
            arbitrary: validValue(p.name, p.schema).map((value): [string, string][] => [[p.name, String(value)]]),
          },
          { weight: 2, arbitrary: junkText.map((value): [string, string][] => [[p.name, value]]) },
          // The same parameter twice.
          {
            weight: 1,
            arbitrary: fc.tuple(junkText, junkText).map(([a, b]): [string, string][] => [
              [p.name, a],
              [p.name, b],
            ]),
          },
        ),
      ),
    )
    .map((pairs) => pairs.flat());
  const takesKey = parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
  const idempotencyKey = takesKey
    ? fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom('', ' ', 'k'.repeat(256), 'spaces in key') },
      )
    : fc.constant(undefined);
  const bodySchema = fuzzed.operation.requestBody?.content['application/json']?.schema;
  const body = bodySchema
    ? fc.oneof(
        { weight: 17, arbitrary: objectOf(bodySchema) },
        { weight: 1, arbitrary: fc.constantFrom<unknown>([], 'text', 42, null, [{}]) },
      )
    : fc.constant(undefined);
  return fc.record(
    { caller: callerArb, path, query, idempotencyKey, body },
    { requiredKeys: ['caller', 'path', 'query'] },
  );
}

describe('every authenticated operation of openapi.json, fuzzed from its own declaration', () => {
  const stub = new StripeStub({ record: false });
  let testApp: TestApp;
  let seed: Fixtures;
  const seen = new Map<string, Set<number>>();
  const secrets = [KEY, OTHER_KEY, WEBHOOK_SECRET];

  const deliver = (events: Stripe.Event[]) =>
    deliverSignedEvents(
      testApp.app.getHttpServer(),
      stub,
      { projectId: world.project, secret: WEBHOOK_SECRET },
      events,
    );

  /**
   * Before each operation's run: the project's configuration as the world starts, and a new developer owning it, so
   * that one operation's run does not spend the next one's per-developer budgets (credential checks: 10 a minute).
   */
  const newOwner = async () => {
    world.developer = randomUUID();
    await testApp.app
      .get(PrismaService)
      .project.update({ where: { id: world.project }, data: { ownerId: world.developer } });
  };
  const configure = async () => {
    await newOwner();
    await seed.setModeCredentials(world.project, 'test', { secretKey: KEY, webhookSecret: WEBHOOK_SECRET });
    await seed.setModeCredentials(world.otherProject, 'test', { secretKey: OTHER_KEY });
  };

  beforeAll(async () => {
    testApp = await startTestApp({
      STRIPE_API_BASE_URL: await stub.start(),
      RATE_LIMIT_USER_PER_MINUTE: '1000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_CONFIG_PER_MINUTE: '1000000',
      PUBLIC_BASE_URL: 'https://billing.example.com',
    });
    seed = fixtures(testApp.app);
    await seed.createProject({ id: world.project, name: 'fuzzed', ownerId: world.developer });
    await seed.createProject({ id: world.otherProject, name: 'other', ownerId: world.otherDeveloper });
    await configure();
    world.customers.push('cus_fuzzLinked1', 'cus_fuzzLinked2');
    stub.addAccount(KEY, world.customers);
    stub.addAccount(OTHER_KEY, []);
    const monthly = stub.addPrice(KEY, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });
    const yearly = stub.addPrice(KEY, {
      unitAmount: 20000,
      recurring: { interval: 'year' },
      productName: 'Pro yearly',
    });
    const oneTime = stub.addPrice(KEY, { unitAmount: 5000, productName: 'Lifetime' });
    world.prices.push(monthly, yearly, oneTime);

    await subscribeAlice();
  });

  afterAll(async () => {
    await testApp?.close();
    await stub.stop();
  });

  /** Alice subscribes through checkout and the webhook, and pays once more: records for every reading operation. */
  async function subscribeAlice() {
    const server = testApp.app.getHttpServer();
    const session = await request(server)
      .post('/api/v1/payments/stripe/checkout-session?test_mode=true')
      .set('Authorization', `Bearer ${endUserToken(world.alice, world.project)}`)
      .send({
        price_id: world.prices[0],
        success_url: 'https://app.example.com/ok',
        cancel_url: 'https://app.example.com/x',
      })
      .expect(200);
    await deliver(stub.completeCheckout(KEY, session.body.session_id as string));
    const subscription = stub.checkoutSession(KEY, session.body.session_id as string)!.subscription as string;
    await deliver(stub.renewSubscription(KEY, subscription, { payment: 'succeeds' }));
  }

  /** Before each operation's run, Alice has a subscription again if an earlier run canceled it. */
  beforeEach(async () => {
    await configure();
    const current = await request(testApp.app.getHttpServer())
      .get('/api/v1/payments/stripe/my-subscription?test_mode=true')
      .set('Authorization', `Bearer ${endUserToken(world.alice, world.project)}`)
      .expect(200);
    if (current.body === null) await subscribeAlice();
  });

  async function send(fuzzed: FuzzedOperation, spec: RequestSpec) {
    // A developer budget of 10 a minute (credential checks, links, syncs) would end the exploration after 10 requests.
    if (fuzzed.caller === 'developer' && fuzzed.statuses.includes(429)) await newOwner();
    let url = fuzzed.path;
    for (const [name, value] of Object.entries(spec.path)) {
      // Deleting a project gets projects of its own (the caller's or the other developer's): the world stays.
      const deletes = fuzzed.id === 'DELETE /api/v1/projects/{project_id}';
      const doomed = async (ownerId: string) => (await seed.createProject({ name: 'doomed', ownerId })).id;
      const own = deletes ? await doomed(world.developer) : name === 'user_id' ? world.alice : world.project;
      const foreign = deletes
        ? await doomed(world.otherDeveloper)
        : name === 'user_id'
          ? world.bob
          : world.otherProject;
      const id = {
        own,
        unknown: randomUUID(),
        foreign,
        'upper-case': own.toUpperCase(),
        'not-a-uuid': 'not-a-uuid',
      }[value];
      url = url.replace(`{${name}}`, id);
    }
    const search = new URLSearchParams(spec.query).toString();
    let call = request(testApp.app.getHttpServer())[fuzzed.method](search ? `${url}?${search}` : url);
    const auth = authorization(spec.caller, fuzzed.caller);
    if (auth) call = call.set('Authorization', auth);
    if (spec.idempotencyKey !== undefined) call = call.set('Idempotency-Key', spec.idempotencyKey);
    if (spec.body !== undefined) call = call.set('Content-Type', 'application/json').send(JSON.stringify(spec.body));
    return call;
  }

  it.each(operations.map((fuzzed) => [fuzzed.id, fuzzed] as const))(
    '%s answers any request with a documented status and a body of its documented schema',
    async (_id, fuzzed) => {
      const statuses = new Set<number>();
      seen.set(fuzzed.id, statuses);
      // Something to undo for the operation that undoes a scheduled cancellation.
      if (fuzzed.path.endsWith('/reactivate-subscription')) {
        await request(testApp.app.getHttpServer())
          .post('/api/v1/payments/stripe/cancel-subscription?test_mode=true')
          .set('Authorization', `Bearer ${endUserToken(world.alice, world.project)}`)
          .send({ cancel_immediately: false })
          .expect(200);
      }
      await fc.assert(
        fc.asyncProperty(requestSpec(fuzzed), async (spec) => {
          const response = await send(fuzzed, spec);
          statuses.add(response.status);
          expect({ status: response.status, documented: fuzzed.statuses.includes(response.status) }).toEqual({
            status: response.status,
            documented: true,
          });
          for (const secret of secrets) expect(response.text).not.toContain(secret);
          expect(Object.keys(Object.prototype)).toEqual([]);
          if (response.status === 204) return;
          expect(response.headers['content-type']).toMatch(/^application\/json/);
          const validate = fuzzed.response.get(response.status);
          if (validate && !validate(JSON.parse(response.text))) {
            throw new Error(
              `${response.status} body ${response.text} breaks its schema: ${JSON.stringify(validate.errors)}`,
            );
          }
        }),
        { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true },
      );
    },
    120_000,
  );

  it('reached success and validation answers on every operation (so the fuzzing is not all 401s)', () => {
    const missing = operations.flatMap((fuzzed) => {
      const statuses = seen.get(fuzzed.id) ?? new Set<number>();
      const takesInput =
        (fuzzed.operation.parameters ?? []).some((p) => p.in !== 'header') || !!fuzzed.operation.requestBody;
      const wanted = [[...statuses].some((status) => status < 300) ? undefined : '2xx'];
      if (takesInput && !statuses.has(422)) wanted.push('422');
      return wanted.filter(Boolean).map((what) => `${fuzzed.id}: no ${what} (saw ${[...statuses].sort().join(', ')})`);
    });
    expect(missing).toEqual([]);
  });
});
