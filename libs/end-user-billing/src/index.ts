export { EndUserBillingModule } from './end-user-billing.module.js';
export {
  StripePaymentListResponse,
  StripePaymentResponse,
  toPaymentResponse,
  type PaymentFields,
} from './my-payments.dto.js';
