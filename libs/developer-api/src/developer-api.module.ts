import { Module } from '@nestjs/common';
import { BillingApiModule } from './billing/billing-api.module.js';
import { ProjectsApiModule } from './projects/projects-api.module.js';
import { StripeConfigApiModule } from './stripe-config/stripe-config-api.module.js';
import { StripeToolsApiModule } from './stripe-tools/stripe-tools-api.module.js';

/**
 * Everything a project's developer calls: projects, Stripe configuration, credential checks, customer links, and the
 * listings and figures of their subscriptions and payments.
 */
@Module({ imports: [ProjectsApiModule, StripeConfigApiModule, StripeToolsApiModule, BillingApiModule] })
export class DeveloperApiModule {}
