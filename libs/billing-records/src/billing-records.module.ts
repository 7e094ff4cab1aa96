import { Module } from '@nestjs/common';
import { LeasesRepository } from './leases.repository.js';

/** The records checkout and webhooks write and the subscription endpoints read, one repository per aggregate. */
@Module({
  providers: [LeasesRepository],
  exports: [LeasesRepository],
})
export class BillingRecordsModule {}
