import { Module } from '@nestjs/common';
import { BillingReportsRepository } from './billing-reports.repository.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';
import { IdempotentResponsesRepository } from './idempotent-responses.repository.js';
import { LeasesRepository } from './leases.repository.js';
import { PaymentsRepository } from './payments.repository.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';
import { WebhookEventsRepository } from './webhook-events.repository.js';

const REPOSITORIES = [
  BillingReportsRepository,
  CheckoutSessionsRepository,
  IdempotentResponsesRepository,
  LeasesRepository,
  PaymentsRepository,
  SubscriptionsRepository,
  WebhookEventsRepository,
];

/** The records checkout and webhooks write and the subscription endpoints read, one repository per aggregate. */
@Module({
  providers: REPOSITORIES,
  exports: REPOSITORIES,
})
export class BillingRecordsModule {}
