import { Module } from '@nestjs/common';
import { BillingApiModule } from './billing/billing-api.module.js';
import { ProjectsApiModule } from './projects/projects-api.module.js';
import { StripeConfigApiModule } from './stripe-config/stripe-config-api.module.js';
import { StripeSyncApiModule } from './stripe-sync/stripe-sync-api.module.js';
import { StripeToolsApiModule } from './stripe-tools/stripe-tools-api.module.js';

/**
 * Everything a project's developer calls: projects, Stripe configuration, credential checks, customer links, webhook
 * status, the subscription sync, and the listings and figures of their subscriptions and payments.
 */
@Module({
  imports: [ProjectsApiModule, StripeConfigApiModule, StripeToolsApiModule, StripeSyncApiModule, BillingApiModule],
})
export class DeveloperApiModule {}
