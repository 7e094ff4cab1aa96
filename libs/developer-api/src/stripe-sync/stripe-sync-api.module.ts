import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { BillingRecordsModule } from '#libs/billing-records';
import { ProjectsModule } from '#libs/projects';
import { RateLimitModule } from '#libs/rate-limit';
import { SubscriptionSyncModule } from '#libs/stripe-webhooks';
import { StripeSyncController } from './stripe-sync.controller.js';
import { WebhookStatusService } from './webhook-status.service.js';

/** Webhook status and the subscription sync for developers: is Stripe reaching the project, and repair if not. */
@Module({
  imports: [AuthModule, BillingRecordsModule, ProjectsModule, RateLimitModule, SubscriptionSyncModule],
  controllers: [StripeSyncController],
  providers: [WebhookStatusService],
})
export class StripeSyncApiModule {}
