import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stub answers the next request(s) (any route), mirroring the ways real Stripe fails. */
export type StripeFailure =
  | { kind: 'authentication' }
  | { kind: 'permission' }
  | { kind: 'portal-not-configured' }
  | { kind: 'resource-missing'; param: string }
  | { kind: 'rate-limit'; retryAfter?: number }
  | { kind: 'server-error' }
  | { kind: 'slow'; delayMs: number };

export interface RecordedRequest {
  method: string;
  path: string;
  apiKey: string | undefined;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
}

interface Account {
  mode: 'test' | 'live';
  customers: Set<string>;
  deletedCustomers: Set<string>;
}

const CUSTOMER_PATH = /^\/v1\/customers\/([^/]+)$/;

/**
 * A Stripe stand-in on loopback for the real stripe-node SDK: it checks the bearer key and the customer as Stripe
 * does, records every request, honours idempotency keys, and fails on demand in each way Stripe fails.
 */
export class StripeStub {
  readonly requests: RecordedRequest[] = [];
  /** Requests received since the last reset, recorded or not. */
  requestCount = 0;
  private readonly accounts = new Map<string, Account>();
  private readonly idempotent = new Map<string, { form: string; status: number; body: unknown }>();
  private failures: StripeFailure[] = [];
  private persistentFailure: StripeFailure | undefined;
  private readonly keyFailures = new Map<string, { next: StripeFailure[]; always?: StripeFailure }>();
  private server: Server | undefined;

  /**
   * `record: false` keeps nothing per request: no recorded request and no idempotent reply to replay (the SDK sends
   * a new Idempotency-Key with every POST, so a long soak would otherwise grow the test process's memory).
   */
  constructor(private readonly options: { record?: boolean } = {}) {}

  /** Registers a secret key and the customers that exist in its Stripe account. */
  addAccount(secretKey: string, customers: string[]): void {
    const mode = secretKey.includes('_live_') ? 'live' : 'test';
    this.accounts.set(secretKey, { mode, customers: new Set(customers), deletedCustomers: new Set() });
  }

  /** A customer that was deleted in the key's account: Stripe still retrieves it, as `{id, deleted: true}`. */
  addDeletedCustomer(secretKey: string, id: string): void {
    const account = this.accounts.get(secretKey);
    if (!account) throw new Error('addAccount the key first');
    account.customers.delete(id);
    account.deletedCustomers.add(id);
  }

  /** The next request(s) fail this way, one failure per request, in order. */
  failNext(...failures: StripeFailure[]): void {
    this.failures.push(...failures);
  }

  /** Every request fails this way until cleared with `undefined`. */
  failAlways(failure: StripeFailure | undefined): void {
    this.persistentFailure = failure;
  }

  /** Like failNext, for requests with this secret key only (one project's Stripe account misbehaving). */
  failNextForKey(secretKey: string, ...failures: StripeFailure[]): void {
    this.failuresOf(secretKey).next.push(...failures);
  }

  /** Like failAlways, for requests with this secret key only; takes precedence over the key-less failures. */
  failAlwaysForKey(secretKey: string, failure: StripeFailure | undefined): void {
    this.failuresOf(secretKey).always = failure;
  }

  /** The recorded requests authenticated with this secret key. */
  requestsWithKey(secretKey: string): RecordedRequest[] {
    return this.requests.filter((sent) => sent.apiKey === secretKey);
  }

  reset(): void {
    this.requests.length = 0;
    this.requestCount = 0;
    this.failures = [];
    this.persistentFailure = undefined;
    this.keyFailures.clear();
    this.idempotent.clear();
  }

  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('stub not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const auth = request.headers.authorization;
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      apiKey: auth?.startsWith('Bearer ') ? auth.slice(7) : undefined,
      idempotencyKey: header(request, 'idempotency-key'),
      stripeVersion: header(request, 'stripe-version'),
      headers: request.headers,
      form: Object.fromEntries(new URLSearchParams(raw)),
    };
    this.requestCount += 1;
    if (this.options.record !== false) this.requests.push(recorded);
    const failure = this.nextFailure(recorded.apiKey);
    if (failure?.kind === 'slow') await holdFor(failure.delayMs, response);
    if (response.destroyed) return;
    const { status, body, headers } = this.answer(recorded, failure);
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomId()}`, ...headers });
    response.end(JSON.stringify(body));
  }

  private failuresOf(secretKey: string): { next: StripeFailure[]; always?: StripeFailure } {
    let failures = this.keyFailures.get(secretKey);
    if (!failures) this.keyFailures.set(secretKey, (failures = { next: [] }));
    return failures;
  }

  private nextFailure(apiKey: string | undefined): StripeFailure | undefined {
    const forKey = apiKey === undefined ? undefined : this.keyFailures.get(apiKey);
    return forKey?.next.shift() ?? forKey?.always ?? this.failures.shift() ?? this.persistentFailure;
  }

  private answer(request: RecordedRequest, failure: StripeFailure | undefined): Reply {
    const account = request.apiKey ? this.accounts.get(request.apiKey) : undefined;
    if (!account || failure?.kind === 'authentication') {
      return stripeError(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${maskLikeStripe(request.apiKey ?? '')}`,
      });
    }
    const path = request.path.split('?')[0];
    if (request.method === 'GET' && path === '/v1/balance') {
      return failureReply(request, account, failure) ?? balance(account);
    }
    const customerPath = request.method === 'GET' ? CUSTOMER_PATH.exec(path) : null;
    if (customerPath) {
      return failureReply(request, account, failure) ?? retrieveCustomer(account, decodeURIComponent(customerPath[1]));
    }
    if (request.method !== 'POST' || request.path !== '/v1/billing_portal/sessions') {
      return stripeError(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${request.method}: ${request.path}).`,
      });
    }
    const idempotencyScope = request.idempotencyKey ? `${request.apiKey}:${request.idempotencyKey}` : undefined;
    const formKey = JSON.stringify(request.form);
    const previous = idempotencyScope ? this.idempotent.get(idempotencyScope) : undefined;
    if (previous) {
      if (previous.form !== formKey) {
        return stripeError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${request.idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      return { status: previous.status, body: previous.body, headers: { 'idempotent-replayed': 'true' } };
    }
    const reply = this.createSession(request, account, failure);
    // Stripe saves the outcome of any request that reached it, but not 5xx/429, which may be retried.
    if (idempotencyScope && reply.status < 429 && this.options.record !== false) {
      this.idempotent.set(idempotencyScope, { form: formKey, status: reply.status, body: reply.body });
    }
    return reply;
  }

  private createSession(request: RecordedRequest, account: Account, failure: StripeFailure | undefined): Reply {
    const failed = failureReply(request, account, failure);
    if (failed) return failed;
    const customer = request.form.customer;
    if (!customer)
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'parameter_missing',
        param: 'customer',
        message: 'Missing required param: customer.',
      });
    if (!account.customers.has(customer)) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'customer',
        message: `No such customer: '${customer}'`,
      });
    }
    const id = `bps_${randomId()}`;
    return {
      status: 200,
      body: {
        id,
        object: 'billing_portal.session',
        configuration: request.form.configuration ?? 'bpc_default',
        created: Math.floor(Date.now() / 1000),
        customer,
        flow: null,
        livemode: account.mode === 'live',
        locale: request.form.locale ?? null,
        on_behalf_of: null,
        return_url: request.form.return_url,
        url: `https://billing.stripe.com/p/session/${account.mode}_${randomId()}`,
      },
      headers: {},
    };
  }
}

/** The reply for an injected failure, or undefined when the request should be answered normally. */
function failureReply(
  request: RecordedRequest,
  account: Account,
  failure: StripeFailure | undefined,
): Reply | undefined {
  switch (failure?.kind) {
    case 'permission':
      return stripeError(403, {
        type: 'invalid_request_error',
        message: `The provided key '${maskLikeStripe(request.apiKey ?? '')}' does not have the required permissions for this endpoint on account 'acct_1Stub'.`,
      });
    case 'portal-not-configured':
      return stripeError(400, {
        type: 'invalid_request_error',
        message: `No configuration provided and your ${account.mode} mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in ${account.mode} mode at https://dashboard.stripe.com/${account.mode === 'test' ? 'test/' : ''}settings/billing/portal.`,
      });
    case 'resource-missing':
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: failure.param,
        message: `No such ${failure.param.replace(/_.*$/, '')}: 'xyz'`,
      });
    case 'rate-limit':
      return stripeError(
        429,
        { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded.' },
        failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) },
      );
    case 'server-error':
      return stripeError(500, { type: 'api_error', message: 'An unknown error occurred' });
    default:
      return undefined;
  }
}

function balance(account: Account): Reply {
  const livemode = account.mode === 'live';
  return { status: 200, body: { object: 'balance', available: [], pending: [], livemode }, headers: {} };
}

function retrieveCustomer(account: Account, id: string): Reply {
  if (account.deletedCustomers.has(id)) {
    return { status: 200, body: { id, object: 'customer', deleted: true }, headers: {} };
  }
  if (!account.customers.has(id)) {
    return stripeError(404, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'id',
      message: `No such customer: '${id}'`,
    });
  }
  const created = Math.floor(Date.now() / 1000);
  return {
    status: 200,
    body: { id, object: 'customer', created, email: null, livemode: account.mode === 'live', metadata: {} },
    headers: {},
  };
}

interface Reply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

function stripeError(status: number, error: Record<string, string>, headers: Record<string, string> = {}): Reply {
  return { status, body: { error }, headers };
}

function maskLikeStripe(key: string): string {
  return key.length > 12 ? `${key.slice(0, 8)}****${key.slice(-4)}` : key;
}

function randomId(): string {
  return randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Waits, but no longer than the client does: an abandoned (or stopped) request leaves no timer behind. */
function holdFor(delayMs: number, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      response.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, delayMs);
    response.on('close', done);
  });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
