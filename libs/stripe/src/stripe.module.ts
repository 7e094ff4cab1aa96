import { Module } from '@nestjs/common';
import { ProjectBulkhead } from './project-bulkhead.js';
import { StripeClientFactory } from './stripe-client.factory.js';

@Module({
  providers: [StripeClientFactory, ProjectBulkhead],
  exports: [StripeClientFactory, ProjectBulkhead],
})
export class StripeModule {}
