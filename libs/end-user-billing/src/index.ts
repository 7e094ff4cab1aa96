export { EndUserBillingModule } from './end-user-billing.module.js';
export {
  StripePaymentListResponse,
  StripePaymentResponse,
  toPaymentResponse,
  type PaymentFields,
} from './my-payments.dto.js';
export { StripeSubscriptionResponse, toSubscriptionResponse, type SubscriptionFields } from './my-subscription.dto.js';
export {
  CancelSubscriptionRequest,
  CancelSubscriptionResponse,
  ReactivateSubscriptionResponse,
  SubscriptionChangePreviewResponse,
  UpdateSubscriptionRequest,
  UpdateSubscriptionResponse,
} from './subscription-changes.dto.js';
export {
  NO_CANCELLATION_SCHEDULED,
  NO_SUBSCRIPTION_TO_CANCEL,
  NO_SUBSCRIPTION_TO_UPDATE,
  PRICE_REFUSALS,
  SubscriptionChangesService,
} from './subscription-changes.service.js';
