export {
  answerStripeFailure,
  BULKHEAD_FULL_DETAIL,
  STRIPE_FAILURE_ANSWERS,
  STRIPE_UNAVAILABLE_DETAIL,
  StripeConfigurationException,
  type StripeFailureAnswer,
  type StripeFailureOverride,
  type Wording,
} from './stripe-failure-answers.js';
export { ApiStripeUnavailable } from './stripe-unavailable-docs.js';
