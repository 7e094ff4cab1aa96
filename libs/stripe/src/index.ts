export { ProjectBulkhead, StripeBulkheadFullError } from './project-bulkhead.js';
export { StripeBudgetExceededError, withinBudget } from './stripe-call.js';
export { StripeCalls } from './stripe-calls.js';
export { STRIPE_API_VERSION, StripeClientFactory, type ProjectStripeCredentials } from './stripe-client.factory.js';
export {
  classifyStripeFailure,
  redactKeys,
  type StripeCallOutcome,
  type StripeFailure,
  type StripeFailureOutcome,
} from './stripe-errors.js';
export type { StripeOperation } from './stripe-metrics.js';
export { StripeModule } from './stripe.module.js';
