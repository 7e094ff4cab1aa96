import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { ProjectsModule } from '#libs/projects';
import { RateLimitModule } from '#libs/rate-limit';
import { StripeConfigController } from './stripe-config.controller.js';

/** A project's Stripe configuration: read (masked), partial update, deactivate, history; writes rate limited. */
@Module({
  imports: [AuthModule, ProjectsModule, RateLimitModule],
  controllers: [StripeConfigController],
})
export class StripeConfigApiModule {}
