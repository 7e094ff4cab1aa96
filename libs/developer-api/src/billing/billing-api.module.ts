import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { BillingRecordsModule } from '#libs/billing-records';
import { ProjectsModule } from '#libs/projects';
import { BillingOverviewController } from './billing-overview.controller.js';
import { DeveloperBillingService } from './developer-billing.service.js';
import { ProjectBillingController } from './project-billing.controller.js';

/** The developer's listings of subscriptions and payments, per project and across projects, and their figures. */
@Module({
  imports: [AuthModule, BillingRecordsModule, ProjectsModule],
  controllers: [ProjectBillingController, BillingOverviewController],
  providers: [DeveloperBillingService],
})
export class BillingApiModule {}
