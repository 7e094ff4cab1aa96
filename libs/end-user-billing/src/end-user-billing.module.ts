import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { BillingRecordsModule } from '#libs/billing-records';
import { RateLimitModule } from '#libs/rate-limit';
import { MyPaymentsController } from './my-payments.controller.js';
import { MyPaymentsService } from './my-payments.service.js';

/** What an end user reads and changes of their own billing, from the records checkout and webhooks keep. */
@Module({
  imports: [AuthModule, BillingRecordsModule, RateLimitModule],
  controllers: [MyPaymentsController],
  providers: [MyPaymentsService],
})
export class EndUserBillingModule {}
