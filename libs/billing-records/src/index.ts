export { BillingRecordsModule } from './billing-records.module.js';
export {
  BillingReportsRepository,
  type BillingStats,
  type CurrencyRevenue,
  type PaymentListing,
  type ReportPage,
  type ReportPageRequest,
  type ReportScope,
  type SubscriptionListing,
} from './billing-reports.repository.js';
export {
  CheckoutSessionsRepository,
  type CheckoutMode,
  type CheckoutOutcome,
  type LeaseHold,
  type NewCheckoutSession,
} from './checkout-sessions.repository.js';
export {
  IDEMPOTENT_RESPONSE_HOURS,
  IdempotentResponsesRepository,
  type RememberedChange,
} from './idempotent-responses.repository.js';
export { LeaseBusyError, LeasesRepository, type LeaseOptions } from './leases.repository.js';
export {
  PaymentsRepository,
  type PaymentPage,
  type PaymentSnapshot,
  type RefundResult,
} from './payments.repository.js';
export {
  ENTITLED_SUBSCRIPTION_STATUSES,
  isEntitled,
  isNotEnded,
  NOT_ENDED_SUBSCRIPTION_STATUSES,
  PAYMENT_STATUSES,
  SUBSCRIPTION_STATUSES,
  SUCCESSFUL_PAYMENT_STATUSES,
  type PaymentStatus,
} from './statuses.js';
export {
  SubscriptionsRepository,
  type CurrentSubscription,
  type SaveOutcome,
  type SubscriptionSnapshot,
} from './subscriptions.repository.js';
export {
  WebhookEventsRepository,
  type EventClaim,
  type EventHeader,
  type EventKey,
  type EventOutcome,
  type WebhookHealth,
} from './webhook-events.repository.js';
export type { Payment, Subscription } from '../../database/src/generated/prisma/client.js';
export { retryUntil } from './retry-until.js';
