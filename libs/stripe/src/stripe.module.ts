import { Module } from '@nestjs/common';
import { StripeClientFactory } from './stripe-client.factory.js';

@Module({
  providers: [StripeClientFactory],
  exports: [StripeClientFactory],
})
export class StripeModule {}
