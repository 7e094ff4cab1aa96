export { StripeWebhooksModule } from './stripe-webhooks.module.js';
export { WEBHOOK_BODY_LIMIT_BYTES, WEBHOOK_RAW_BODY_ROUTE } from './webhook-body.js';
export { HANDLED_EVENT_TYPES } from './webhook-event.processor.js';
export { INVALID_SIGNATURE, SIGNATURE_TOLERANCE_SECONDS, WEBHOOK_NOT_CONFIGURED } from './stripe-webhook.service.js';
export { SubscriptionSyncModule } from './subscription-sync.module.js';
export { SubscriptionSyncService, SYNC_ALREADY_RUNNING, type SyncResult } from './subscription-sync.service.js';
export { SUBSCRIPTION_EXPAND, subscriptionSnapshot } from './stripe-snapshots.js';
