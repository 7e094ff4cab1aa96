import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { BillingRecordsModule } from '#libs/billing-records';
import { ProjectsModule } from '#libs/projects';
import { RateLimitModule } from '#libs/rate-limit';
import { StripeModule } from '#libs/stripe';
import { MyPaymentsController } from './my-payments.controller.js';
import { MyPaymentsService } from './my-payments.service.js';
import { MySubscriptionController } from './my-subscription.controller.js';
import { MySubscriptionService } from './my-subscription.service.js';
import { SubscriptionChangesController } from './subscription-changes.controller.js';
import { SubscriptionChangesService } from './subscription-changes.service.js';

/** What an end user reads and changes of their own billing, from the records checkout and webhooks keep. */
@Module({
  imports: [AuthModule, BillingRecordsModule, ProjectsModule, RateLimitModule, StripeModule],
  controllers: [MySubscriptionController, MyPaymentsController, SubscriptionChangesController],
  providers: [MySubscriptionService, MyPaymentsService, SubscriptionChangesService],
})
export class EndUserBillingModule {}
