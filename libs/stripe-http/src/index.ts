export {
  answerStripeFailure,
  BULKHEAD_FULL_DETAIL,
  STRIPE_FAILURE_ANSWERS,
  StripeConfigurationException,
  type StripeFailureAnswer,
  type StripeFailureOverride,
  type Wording,
} from './stripe-failure-answers.js';
