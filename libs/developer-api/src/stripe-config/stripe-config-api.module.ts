import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { ProjectsModule } from '#libs/projects';
import { StripeConfigController } from './stripe-config.controller.js';

/** A project's Stripe configuration: read (masked), partial update, deactivate, history. */
@Module({
  imports: [AuthModule, ProjectsModule],
  controllers: [StripeConfigController],
})
export class StripeConfigApiModule {}
