import Stripe from 'stripe';
import { AppConfig, environmentSchema } from '#libs/config';
import { MetricsRegistry } from '#libs/metrics';
import { ProjectBulkhead, StripeBulkheadFullError } from './project-bulkhead.js';
import { StripeBudgetExceededError } from './stripe-call.js';
import { StripeCalls } from './stripe-calls.js';
import { StripeClientFactory } from './stripe-client.factory.js';
import { classifyStripeFailure } from './stripe-errors.js';
import { StripeMetrics } from './stripe-metrics.js';

const { errors } = Stripe;

describe('classifyStripeFailure outcomes', () => {
  it.each([
    [new StripeBudgetExceededError(1000), 'timeout'],
    [new errors.StripeRateLimitError({ message: 'slow down', statusCode: 429 }), 'rate_limited'],
    [new errors.StripeAPIError({ message: 'oops', statusCode: 500 }), 'server_error'],
    [new errors.StripeInvalidRequestError({ message: 'bad gateway', statusCode: 502 }), 'server_error'],
    [new errors.StripeConnectionError({ message: 'ECONNREFUSED' }), 'connection_error'],
    [new errors.StripeAuthenticationError({ message: 'Invalid API Key', statusCode: 401 }), 'authentication_error'],
    [new errors.StripePermissionError({ message: 'no permission', statusCode: 403 }), 'permission_error'],
    [new errors.StripeIdempotencyError({ message: 'key reused', statusCode: 400 }), 'idempotency_error'],
    [new errors.StripeInvalidRequestError({ message: 'No such customer', statusCode: 404 }), 'invalid_request'],
    [new errors.StripeCardError({ message: 'declined', statusCode: 402 }), 'other_error'],
    [new TypeError('not a Stripe error'), 'other_error'],
  ])('classifies %p as %s', (error, outcome) => {
    expect(classifyStripeFailure(error).outcome).toBe(outcome);
  });
});

const PROJECT = '0b5f2f4e-1c1e-4a47-9d55-1b0c6b7e9a10';

describe('StripeCalls', () => {
  const config = new AppConfig(
    environmentSchema.parse({
      SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      STRIPE_TIMEOUT_MS: '50',
    }),
  );

  /** Real metrics on a fresh registry: what /metrics would show. */
  function stripeCalls(): { calls: StripeCalls; registry: MetricsRegistry } {
    const registry = new MetricsRegistry();
    const metrics = new StripeMetrics(registry, new StripeClientFactory(config));
    return { calls: new StripeCalls(new ProjectBulkhead(config), metrics), registry };
  }

  async function counted(registry: MetricsRegistry): Promise<Record<string, number>> {
    const { values } = await registry.getSingleMetric('stripe_requests_total')!.get();
    return Object.fromEntries(values.map(({ labels, value }) => [`${labels.operation} ${labels.outcome}`, value]));
  }

  it('returns the call’s value and counts a success', async () => {
    const { calls, registry } = stripeCalls();
    await expect(calls.run('balance.retrieve', PROJECT, async () => 'balance')).resolves.toBe('balance');
    await expect(calls.run('balance.retrieve', PROJECT, async () => 'balance')).resolves.toBe('balance');
    expect(await counted(registry)).toEqual({ 'balance.retrieve success': 2 });
  });

  it('starts the call without capturing stack traces, and restores the limit for everything else', async () => {
    const { calls } = stripeCalls();
    const before = Error.stackTraceLimit;
    let limitDuringCall: number | undefined;
    let stackDuringCall: string | undefined;
    await calls.run('balance.retrieve', PROJECT, async () => {
      limitDuringCall = Error.stackTraceLimit;
      stackDuringCall = new Error('call site').stack;
    });
    expect({ limitDuringCall, stackDuringCall }).toEqual({ limitDuringCall: 0, stackDuringCall: 'Error: call site' });
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('after').stack).toContain('\n    at ');
  });

  it('passes a failure on unchanged and counts it by outcome', async () => {
    const { calls, registry } = stripeCalls();
    const failure = new errors.StripeRateLimitError({ message: 'slow down', statusCode: 429 });
    await expect(calls.run('customers.retrieve', PROJECT, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await counted(registry)).toEqual({ 'customers.retrieve rate_limited': 1 });
  });

  it('holds a hanging call to STRIPE_TIMEOUT_MS and counts a timeout lasting about that long', async () => {
    const { calls, registry } = stripeCalls();
    const hanging = calls.run('billing_portal.sessions.create', PROJECT, () => new Promise<never>(() => undefined));
    await expect(hanging).rejects.toBeInstanceOf(StripeBudgetExceededError);
    expect(await counted(registry)).toEqual({ 'billing_portal.sessions.create timeout': 1 });
    const text = await registry.getSingleMetricAsString('stripe_request_duration_seconds');
    const sum = Number(/^stripe_request_duration_seconds_sum\{[^}]*\} (\S+)$/m.exec(text)?.[1]);
    expect(sum).toBeGreaterThanOrEqual(0.045);
    expect(sum).toBeLessThan(1);
  });

  it('counts a call refused by the project bulkhead without running it', async () => {
    const { calls, registry } = stripeCalls();
    const held = Array.from({ length: config.stripe.maxInFlightPerProject }, () =>
      calls.run('customers.retrieve', PROJECT, () => new Promise<never>(() => undefined)).catch(() => undefined),
    );
    let ran = false;
    const refused = calls.run('customers.retrieve', PROJECT, async () => (ran = true));
    await expect(refused).rejects.toBeInstanceOf(StripeBulkheadFullError);
    expect(ran).toBe(false);
    await Promise.all(held);
    expect(await counted(registry)).toEqual({
      'customers.retrieve bulkhead_full': 1,
      'customers.retrieve timeout': config.stripe.maxInFlightPerProject,
    });
  });

  it('reads the client cache size at scrape time', async () => {
    const registry = new MetricsRegistry();
    const factory = new StripeClientFactory(config);
    new StripeMetrics(registry, factory);
    const gauge = () => registry.getSingleMetricAsString('stripe_client_cache_size');
    expect(await gauge()).toContain('stripe_client_cache_size 0');
    factory.clientFor({ projectId: 'p1', mode: 'test', version: 1, secretKey: () => 'sk_test_1' });
    factory.clientFor({ projectId: 'p1', mode: 'live', version: 1, secretKey: () => 'sk_live_1' });
    expect(await gauge()).toContain('stripe_client_cache_size 2');
  });
});
