import { Injectable } from '@nestjs/common';
import { ProjectBulkhead } from './project-bulkhead.js';
import { stripeCallOutcome } from './stripe-errors.js';
import { StripeMetrics, type StripeOperation } from './stripe-metrics.js';

/**
 * Every Stripe API call goes through `run`: the project's in-flight cap, one deadline for the call with its retries
 * (STRIPE_TIMEOUT_MS), and its duration and outcome in the metrics. Errors pass through unchanged for the caller to
 * map.
 */
@Injectable()
export class StripeCalls {
  constructor(
    private readonly bulkhead: ProjectBulkhead,
    private readonly metrics: StripeMetrics,
  ) {}

  async run<T>(operation: StripeOperation, projectId: string, call: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      const result = await this.bulkhead.run(projectId, call);
      this.metrics.record(operation, 'success', startedAt);
      return result;
    } catch (error) {
      this.metrics.record(operation, stripeCallOutcome(error), startedAt);
      throw error;
    }
  }
}
