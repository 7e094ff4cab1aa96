import { Module } from '@nestjs/common';
import { ProjectBulkhead } from './project-bulkhead.js';
import { StripeCalls } from './stripe-calls.js';
import { StripeClientFactory } from './stripe-client.factory.js';
import { StripeMetrics } from './stripe-metrics.js';

/** Stripe clients and the one way to call them. Needs the global MetricsModule for its metrics. */
@Module({
  providers: [StripeClientFactory, StripeMetrics, ProjectBulkhead, StripeCalls],
  exports: [StripeClientFactory, ProjectBulkhead, StripeCalls],
})
export class StripeModule {}
