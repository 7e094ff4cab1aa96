export { CheckoutModule } from './checkout.module.js';
export {
  CheckoutSessionRequest,
  CheckoutSessionResponse,
  metadataProblem,
  RESERVED_METADATA_KEYS,
} from './checkout-session.dto.js';
export {
  ALREADY_SUBSCRIBED_DETAIL,
  CHECKOUT_BUSY_DETAIL,
  CheckoutSessionService,
  type CreatedCheckoutSession,
} from './checkout-session.service.js';
export { checkoutSessionFailures } from './checkout-stripe-failures.js';
