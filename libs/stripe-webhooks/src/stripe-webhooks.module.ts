import { Module } from '@nestjs/common';
import { BillingRecordsModule } from '#libs/billing-records';
import { ProjectsModule } from '#libs/projects';
import { StripeModule } from '#libs/stripe';
import { StripeWebhookController } from './stripe-webhook.controller.js';
import { StripeWebhookService } from './stripe-webhook.service.js';
import { WebhookEventProcessor } from './webhook-event.processor.js';

@Module({
  imports: [BillingRecordsModule, ProjectsModule, StripeModule],
  controllers: [StripeWebhookController],
  providers: [StripeWebhookService, WebhookEventProcessor],
})
export class StripeWebhooksModule {}
