import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CountedDurations, MetricsRegistry } from '#libs/metrics';
import { StripeClientFactory } from './stripe-client.factory.js';
import type { StripeCallOutcome } from './stripe-errors.js';

/** The Stripe API operations this service calls: the `operation` label. */
export type StripeOperation =
  | 'balance.retrieve'
  | 'billing_portal.sessions.create'
  | 'charges.retrieve'
  | 'checkout.sessions.create'
  | 'checkout.sessions.expire'
  | 'checkout.sessions.retrieve'
  | 'customers.create'
  | 'customers.retrieve'
  | 'invoices.create_preview'
  | 'invoices.retrieve'
  | 'payment_intents.retrieve'
  | 'prices.retrieve'
  | 'products.retrieve'
  | 'subscriptions.cancel'
  | 'subscriptions.list'
  | 'subscriptions.retrieve'
  | 'subscriptions.update';

/**
 * `stripe_requests_total` and `stripe_request_duration_seconds` by operation and outcome (one call: the SDK's retries
 * included, bounded by STRIPE_TIMEOUT_MS), and `stripe_client_cache_size`. No project ids: cardinality and privacy.
 */
@Injectable()
export class StripeMetrics {
  private readonly calls: CountedDurations<'operation' | 'outcome'>;

  constructor(registry: MetricsRegistry, clients: StripeClientFactory) {
    this.calls = new CountedDurations(registry, {
      labelNames: ['operation', 'outcome'],
      counter: {
        name: 'stripe_requests_total',
        help: 'Stripe API calls by operation and outcome (success, timeout, rate_limited, server_error, ...)',
      },
      histogram: {
        name: 'stripe_request_duration_seconds',
        help: 'Duration of Stripe API calls, retries included, by operation and outcome',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
      },
    });
    new Gauge({
      name: 'stripe_client_cache_size',
      help: 'Stripe clients cached (one per project and mode), at most STRIPE_CLIENT_CACHE_SIZE',
      registers: [registry],
      // Read at scrape time: nothing to update on the request path.
      collect() {
        this.set(clients.cachedClients);
      },
    });
  }

  /** Records one finished call that started at `startedAt` (performance.now()). */
  record(operation: StripeOperation, outcome: StripeCallOutcome, startedAt: number): void {
    this.calls.observe([operation, outcome], (performance.now() - startedAt) / 1000);
  }
}
