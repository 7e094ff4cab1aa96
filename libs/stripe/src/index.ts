export { StripeBudgetExceededError, withinBudget } from './stripe-call.js';
export { StripeCalls } from './stripe-calls.js';
export { STRIPE_API_VERSION, StripeClientFactory, type ProjectStripeCredentials } from './stripe-client.factory.js';
export {
  NO_CUSTOMER_DETAIL,
  redactKeys,
  StripeConfigurationException,
  stripeCallOutcome,
  toHttpException,
  type StripeCallOutcome,
} from './stripe-errors.js';
export { StripeMetrics, type StripeOperation } from './stripe-metrics.js';
export { StripeModule } from './stripe.module.js';
