export { ProjectBulkhead, StripeBulkheadFullError } from './project-bulkhead.js';
export { StripeBudgetExceededError, withinBudget } from './stripe-call.js';
export { StripeCalls } from './stripe-calls.js';
export { STRIPE_API_VERSION, StripeClientFactory, type ProjectStripeCredentials } from './stripe-client.factory.js';
export {
  BULKHEAD_FULL_DETAIL,
  NO_CUSTOMER_DETAIL,
  redactKeys,
  StripeConfigurationException,
  stripeCallOutcome,
  toHttpException,
  type StripeCallOutcome,
} from './stripe-errors.js';
export { StripeModule } from './stripe.module.js';
