import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { BillingRecordsModule } from '#libs/billing-records';
import { ProjectsModule } from '#libs/projects';
import { RateLimitModule } from '#libs/rate-limit';
import { StripeModule } from '#libs/stripe';
import { CheckoutSessionController } from './checkout-session.controller.js';
import { CheckoutSessionService } from './checkout-session.service.js';

@Module({
  imports: [AuthModule, BillingRecordsModule, ProjectsModule, RateLimitModule, StripeModule],
  controllers: [CheckoutSessionController],
  providers: [CheckoutSessionService],
})
export class CheckoutModule {}
