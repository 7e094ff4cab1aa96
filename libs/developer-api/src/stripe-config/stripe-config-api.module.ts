import { Module } from '@nestjs/common';

/** A project's Stripe configuration: read (masked), partial update, deactivate, history. */
@Module({})
export class StripeConfigApiModule {}
