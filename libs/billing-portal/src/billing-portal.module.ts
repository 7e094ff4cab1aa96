import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/src/index.js';
import { ProjectsModule } from '../../projects/src/index.js';
import { RateLimitModule } from '../../rate-limit/src/index.js';
import { StripeModule } from '../../stripe/src/index.js';
import { CustomerPortalController } from './customer-portal.controller.js';
import { CustomerPortalService } from './customer-portal.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, RateLimitModule, StripeModule],
  controllers: [CustomerPortalController],
  providers: [CustomerPortalService],
})
export class BillingPortalModule {}
