export { EndUserBillingModule } from './end-user-billing.module.js';
export { StripePaymentListResponse, StripePaymentResponse, toPaymentResponse } from './my-payments.dto.js';
