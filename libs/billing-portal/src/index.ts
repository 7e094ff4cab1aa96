export { BillingPortalModule } from './billing-portal.module.js';
export {
  CustomerPortalRequest,
  CustomerPortalResponse,
  PORTAL_FLOW_TYPES,
  PORTAL_LOCALES,
} from './customer-portal.dto.js';
export { CustomerPortalService, PROJECT_NOT_CONFIGURED, scopedIdempotencyKey } from './customer-portal.service.js';
export { PORTAL_SESSION_FAILURES } from './portal-stripe-failures.js';
