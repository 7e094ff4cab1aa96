import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { ProjectsModule } from '#libs/projects';
import { RateLimitModule } from '#libs/rate-limit';
import { StripeModule } from '#libs/stripe';
import { CustomerPortalController } from './customer-portal.controller.js';
import { CustomerPortalService } from './customer-portal.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, RateLimitModule, StripeModule],
  controllers: [CustomerPortalController],
  providers: [CustomerPortalService],
})
export class BillingPortalModule {}
