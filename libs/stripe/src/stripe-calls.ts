import { Injectable } from '@nestjs/common';
import { ProjectBulkhead } from './project-bulkhead.js';
import { classifyStripeFailure } from './stripe-errors.js';
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
      const result = await this.bulkhead.run(projectId, () => withoutCallSiteStack(call));
      this.metrics.record(operation, 'success', startedAt);
      return result;
    } catch (error) {
      this.metrics.record(operation, classifyStripeFailure(error).outcome, startedAt);
      throw error;
    }
  }
}

/**
 * Starts the SDK call with stack capture off: stripe-node formats a call-site stack trace on every request, for its
 * error messages, which we never log (measured: 8% of the portal's CPU). The request itself is unaffected.
 */
function withoutCallSiteStack<T>(call: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return call();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
