import { Module } from '@nestjs/common';
import { BillingRecordsModule } from '#libs/billing-records';
import { ProjectsModule } from '#libs/projects';
import { StripeModule } from '#libs/stripe';
import { SubscriptionSyncService } from './subscription-sync.service.js';

/** The subscription sync alone, without the webhook route: for the developer API and the CLI. */
@Module({
  imports: [BillingRecordsModule, ProjectsModule, StripeModule],
  providers: [SubscriptionSyncService],
  exports: [SubscriptionSyncService],
})
export class SubscriptionSyncModule {}
