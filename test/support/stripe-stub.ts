import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { copy, StubAccount } from './stripe-stub/account.js';
import * as lifecycle from './stripe-stub/lifecycle.js';
import { nowInSeconds, priceObject, productObject, stripeId } from './stripe-stub/objects.js';
import { stripeError, type Reply } from './stripe-stub/params.js';
import { findRoute } from './stripe-stub/routes.js';

/** How the stub answers the next request(s) (any route), mirroring the ways real Stripe fails. */
export type StripeFailure =
  | { kind: 'authentication' }
  | { kind: 'permission' }
  | { kind: 'portal-not-configured' }
  | { kind: 'resource-missing'; param: string }
  | { kind: 'rate-limit'; retryAfter?: number }
  | { kind: 'server-error' }
  | { kind: 'slow'; delayMs: number }
  /** Stripe does what was asked, but the connection drops before its answer arrives (only `method` requests). */
  | { kind: 'answer-lost'; method: 'GET' | 'POST' | 'DELETE' };

export interface RecordedRequest {
  method: string;
  path: string;
  apiKey: string | undefined;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
}

/** An event as Stripe sends it to a webhook endpoint. */
export type StubEvent = Stripe.Event;

export interface StubPrice {
  id?: string;
  unitAmount: number;
  /** Default 'usd'. */
  currency?: string;
  /** Absent: a one-time price. */
  recurring?: { interval: 'day' | 'week' | 'month' | 'year' };
  /** Default true. */
  active?: boolean;
  nickname?: string | null;
  productName?: string;
}

interface IdempotentResult {
  path: string;
  params: string;
  status: number;
  body: unknown;
}

/**
 * A Stripe stand-in on loopback for the real stripe-node SDK. It checks the bearer key, keeps each account's
 * customers, prices, checkout sessions, subscriptions, invoices and payments with the shapes and error messages of
 * Stripe (API version 2026-10-28.endive), records every request, honours idempotency keys on every POST, and fails on
 * demand in each way Stripe fails. What happens outside the API (a customer paying, a renewal, a refund) is driven
 * by the methods that return the events Stripe would send; `signEvent` delivers one as Stripe signs it.
 */
export class StripeStub {
  readonly requests: RecordedRequest[] = [];
  /** Requests received since the last reset, recorded or not. */
  requestCount = 0;
  private readonly accounts = new Map<string, StubAccount>();
  private readonly idempotent = new Map<string, IdempotentResult>();
  private failures: StripeFailure[] = [];
  private persistentFailure: StripeFailure | undefined;
  private readonly keyFailures = new Map<string, { next: StripeFailure[]; always?: StripeFailure }>();
  private server: Server | undefined;

  /**
   * `record: false` keeps nothing per request: no recorded request and no idempotent reply to replay (the SDK sends
   * a new Idempotency-Key with every POST, so a long soak would otherwise grow the test process's memory).
   */
  constructor(private readonly options: { record?: boolean } = {}) {}

  /** Registers a secret key and the customers that exist in its Stripe account (replacing any earlier state). */
  addAccount(secretKey: string, customers: string[]): void {
    const mode = secretKey.includes('_live_') ? 'live' : 'test';
    this.accounts.set(secretKey, new StubAccount(mode, { customers: [...customers], deletedCustomers: [] }));
  }

  /** A customer that was deleted in the key's account: Stripe still retrieves it, as `{id, deleted: true}`. */
  addDeletedCustomer(secretKey: string, id: string): void {
    this.accountOf(secretKey).seedDeletedCustomer(id);
  }

  /** A price (and its product) in the key's account; returns the price id. */
  addPrice(secretKey: string, price: StubPrice): string {
    const account = this.accountOf(secretKey);
    const id = price.id ?? stripeId('price', 24);
    if (account.prices.has(id)) throw new Error(`price ${id} already exists`);
    const clock = account.clock();
    const product = productObject(clock, stripeId('prod'), price.productName ?? price.nickname ?? 'Stub product');
    account.products.set(product.id, product);
    account.prices.set(
      id,
      priceObject(clock, {
        id,
        product: product.id,
        unitAmount: price.unitAmount,
        currency: price.currency ?? 'usd',
        interval: price.recurring?.interval,
        active: price.active ?? true,
        nickname: price.nickname ?? null,
      }),
    );
    return id;
  }

  /** The key's live (not deleted) customers, oldest first. */
  customers(secretKey: string): Stripe.Customer[] {
    return copy([...this.accountOf(secretKey).customers.values()]);
  }

  customer(secretKey: string, id: string): Stripe.Customer | Stripe.DeletedCustomer | undefined {
    const account = this.accountOf(secretKey);
    if (!account.customers.has(id) && !account.deletedCustomers.has(id)) return undefined;
    return account.find(id) as Stripe.Customer | Stripe.DeletedCustomer;
  }

  checkoutSession(secretKey: string, id: string): Stripe.Checkout.Session | undefined {
    return copy(this.accountOf(secretKey).sessions.get(id));
  }

  /** The key's checkout sessions, oldest first. */
  checkoutSessions(secretKey: string): Stripe.Checkout.Session[] {
    return copy([...this.accountOf(secretKey).sessions.values()]);
  }

  subscription(secretKey: string, id: string): Stripe.Subscription | undefined {
    return copy(this.accountOf(secretKey).subscriptions.get(id));
  }

  /** Without `payments`, as Stripe sends an invoice unless asked for them. */
  invoice(secretKey: string, id: string): Stripe.Invoice | undefined {
    return copy(this.accountOf(secretKey).invoices.get(id));
  }

  /** The key's charges, oldest first. */
  charges(secretKey: string): Stripe.Charge[] {
    return copy([...this.accountOf(secretKey).charges.values()]);
  }

  /**
   * The customer completes the session. Subscription mode: a subscription (`active`; `trialing` with `trial_end` when
   * `subscription_data[trial_period_days]` was sent; `incomplete` when the payment fails), its item, its first
   * invoice (paid, or open after one failed attempt; 0 and paid without any payment during a trial) with an
   * InvoicePayment -> PaymentIntent -> Charge. Events: customer.subscription.created, invoice.paid |
   * invoice.payment_failed, checkout.session.completed. Payment mode: a succeeded PaymentIntent (metadata from
   * `payment_intent_data`) and its Charge. Events: checkout.session.completed; a failed payment leaves the session
   * open and sends nothing.
   */
  completeCheckout(
    secretKey: string,
    sessionId: string,
    options: { payment?: 'succeeds' | 'fails' } = {},
  ): StubEvent[] {
    return lifecycle.completeCheckout(this.accountOf(secretKey), sessionId, options.payment ?? 'succeeds');
  }

  /**
   * A subscription made outside checkout (the API or the Dashboard) for an existing customer, its first invoice
   * charged: customer.subscription.created, invoice.paid | invoice.payment_failed.
   */
  createSubscription(
    secretKey: string,
    init: {
      customer: string;
      price: string;
      quantity?: number;
      metadata?: Stripe.Metadata;
      payment?: 'succeeds' | 'fails';
    },
  ): StubEvent[] {
    return lifecycle.createSubscription(this.accountOf(secretKey), {
      customer: init.customer,
      price: init.price,
      quantity: init.quantity ?? 1,
      metadata: init.metadata ?? {},
      payment: init.payment ?? 'succeeds',
    });
  }

  /**
   * The events Stripe sent since the last call because of API requests (subscriptions updated or canceled through
   * the API), oldest first; taking them empties the list.
   */
  takeApiEvents(secretKey: string): StubEvent[] {
    return this.accountOf(secretKey).apiEvents.splice(0);
  }

  /** The session times out: checkout.session.expired. */
  expireCheckout(secretKey: string, sessionId: string): StubEvent[] {
    return lifecycle.expireCheckout(this.accountOf(secretKey), sessionId);
  }

  /** A change made in the Dashboard or the portal: customer.subscription.updated with the old values. */
  updateSubscription(
    secretKey: string,
    subscriptionId: string,
    changes: {
      status?: Stripe.Subscription.Status;
      cancel_at_period_end?: boolean;
      cancel_at?: number | null;
      priceId?: string;
      quantity?: number;
    },
  ): StubEvent[] {
    return lifecycle.updateSubscription(this.accountOf(secretKey), subscriptionId, changes);
  }

  /** Canceled now: customer.subscription.deleted. */
  cancelSubscription(secretKey: string, subscriptionId: string): StubEvent[] {
    return lifecycle.cancelSubscription(this.accountOf(secretKey), subscriptionId);
  }

  /** customer.subscription.paused, customer.subscription.updated. */
  pauseSubscription(secretKey: string, subscriptionId: string): StubEvent[] {
    return lifecycle.pauseSubscription(this.accountOf(secretKey), subscriptionId);
  }

  /** Active again, billing period unchanged: customer.subscription.resumed, customer.subscription.updated. */
  resumeSubscription(secretKey: string, subscriptionId: string): StubEvent[] {
    return lifecycle.resumeSubscription(this.accountOf(secretKey), subscriptionId);
  }

  /**
   * The next period and its invoice. Succeeds: customer.subscription.updated, invoice.paid. Fails (the subscription
   * goes past_due): invoice.payment_failed, customer.subscription.updated.
   */
  renewSubscription(
    secretKey: string,
    subscriptionId: string,
    options: { payment: 'succeeds' | 'fails' },
  ): StubEvent[] {
    return lifecycle.renewSubscription(this.accountOf(secretKey), subscriptionId, options.payment);
  }

  /** An open invoice is paid now: invoice.paid, then customer.subscription.updated if its subscription was unpaid. */
  retryInvoice(secretKey: string, invoiceId: string): StubEvent[] {
    return lifecycle.retryInvoice(this.accountOf(secretKey), invoiceId);
  }

  /** Refunds `amountCents` (default: all that is left): charge.refunded, `amount_refunded` cumulative. */
  refundCharge(secretKey: string, chargeId: string, amountCents?: number): StubEvent[] {
    return lifecycle.refundCharge(this.accountOf(secretKey), chargeId, amountCents);
  }

  /** customer.subscription.deleted for each of its subscriptions, then customer.deleted. */
  deleteCustomer(secretKey: string, customerId: string): StubEvent[] {
    return lifecycle.deleteCustomer(this.accountOf(secretKey), customerId);
  }

  /**
   * A delivery as Stripe makes it: the exact payload bytes (Stripe's pretty-printed JSON) and its Stripe-Signature
   * header, signed with stripe-node's `webhooks.generateTestHeaderString` (timestamp defaults to now, in seconds).
   */
  signEvent(
    event: StubEvent,
    webhookSecret: string,
    options: { timestamp?: number } = {},
  ): { payload: string; header: string } {
    const payload = JSON.stringify(event, null, 2);
    const timestamp = options.timestamp ?? nowInSeconds();
    return { payload, header: Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret, timestamp }) };
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

  /** Forgets requests, injected failures and idempotent replies; the accounts' objects stay (see resetObjects). */
  reset(): void {
    this.requests.length = 0;
    this.requestCount = 0;
    this.failures = [];
    this.persistentFailure = undefined;
    this.keyFailures.clear();
    this.idempotent.clear();
  }

  /** Every account back to the customers it was registered with: prices, sessions, subscriptions... are forgotten. */
  resetObjects(): void {
    for (const account of this.accounts.values()) account.resetObjects();
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

  private accountOf(secretKey: string): StubAccount {
    const account = this.accounts.get(secretKey);
    if (!account) throw new Error('addAccount the key first');
    return account;
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
    const failure = this.nextFailure(recorded.apiKey, recorded.method);
    if (failure?.kind === 'slow') await holdFor(failure.delayMs, response);
    if (response.destroyed) return;
    const { status, body, headers } = this.answer(recorded, raw, failure);
    if (failure?.kind === 'answer-lost') {
      response.destroy();
      return;
    }
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomId()}`, ...headers });
    response.end(JSON.stringify(body));
  }

  private failuresOf(secretKey: string): { next: StripeFailure[]; always?: StripeFailure } {
    let failures = this.keyFailures.get(secretKey);
    if (!failures) this.keyFailures.set(secretKey, (failures = { next: [] }));
    return failures;
  }

  private nextFailure(apiKey: string | undefined, method: string): StripeFailure | undefined {
    const forKey = apiKey === undefined ? undefined : this.keyFailures.get(apiKey);
    // A failure meant for another method waits for a request of its own.
    const fits = (failure: StripeFailure | undefined) => failure?.kind !== 'answer-lost' || failure.method === method;
    const take = (queue: StripeFailure[] | undefined) => (fits(queue?.[0]) ? queue?.shift() : undefined);
    const always = (failure: StripeFailure | undefined) => (fits(failure) ? failure : undefined);
    return take(forKey?.next) ?? always(forKey?.always) ?? take(this.failures) ?? always(this.persistentFailure);
  }

  private answer(request: RecordedRequest, rawBody: string, failure: StripeFailure | undefined): Reply {
    const account = request.apiKey ? this.accounts.get(request.apiKey) : undefined;
    if (!account || failure?.kind === 'authentication') {
      return stripeError(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${maskLikeStripe(request.apiKey ?? '')}`,
      });
    }
    const url = new URL(request.path, 'http://stub');
    const found = findRoute(request.method, url.pathname);
    if (!found) {
      return stripeError(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${request.method}: ${request.path}).`,
      });
    }
    const params: [string, string][] = [...url.searchParams.entries(), ...new URLSearchParams(rawBody).entries()];
    const idempotencyScope =
      request.method === 'POST' && request.idempotencyKey ? `${request.apiKey}:${request.idempotencyKey}` : undefined;
    const paramsKey = JSON.stringify(params);
    const previous = idempotencyScope ? this.idempotent.get(idempotencyScope) : undefined;
    if (previous) return replay(previous, url.pathname, paramsKey, request.idempotencyKey!);
    const reply =
      failureReply(request, account, failure) ?? found.route.handle(account, { params, form: request.form }, found.id);
    // Stripe saves the outcome of any request its endpoint ran, but not refused parameters or 5xx/429 (retryable).
    if (idempotencyScope && reply.status < 429 && !reply.unsaved && this.options.record !== false) {
      this.idempotent.set(idempotencyScope, {
        path: url.pathname,
        params: paramsKey,
        status: reply.status,
        body: reply.body,
      });
    }
    return reply;
  }
}

function replay(previous: IdempotentResult, path: string, paramsKey: string, idempotencyKey: string): Reply {
  if (previous.path !== path) {
    return stripeError(400, {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${path}' vs '${previous.path}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
    });
  }
  if (previous.params !== paramsKey) {
    return stripeError(400, {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
    });
  }
  return { status: previous.status, body: previous.body, headers: { 'idempotent-replayed': 'true' } };
}

/** The reply for an injected failure, or undefined when the request should be answered normally. */
function failureReply(
  request: RecordedRequest,
  account: StubAccount,
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
