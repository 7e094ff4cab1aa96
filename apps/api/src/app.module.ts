import { Module, type DynamicModule } from '@nestjs/common';
import { BillingPortalModule } from '#libs/billing-portal';
import { CheckoutModule } from '#libs/checkout';
import { AppConfig, ConfigModule } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { DeveloperApiModule } from '#libs/developer-api';
import { EndUserBillingModule } from '#libs/end-user-billing';
import { HealthModule } from '#libs/health';
import { MetricsModule } from '#libs/metrics';
import { ProjectsModule, StoredSecretsStartupCheck } from '#libs/projects';
import { StripeWebhooksModule } from '#libs/stripe-webhooks';

@Module({})
export class AppModule {
  /** The HTTP service; `config` is for tests, production reads the environment. */
  static register(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule.forRoot(),
        HealthModule,
        BillingPortalModule,
        CheckoutModule,
        DeveloperApiModule,
        EndUserBillingModule,
        ProjectsModule,
        StripeWebhooksModule,
      ],
      // The API refuses to start with keys that cannot decrypt what is stored (the CLI, which repairs it, does not).
      providers: [StoredSecretsStartupCheck],
    };
  }
}
