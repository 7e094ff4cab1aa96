import { Module, type DynamicModule } from '@nestjs/common';
import { BillingPortalModule } from '../../../libs/billing-portal/src/index.js';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { DatabaseModule } from '../../../libs/database/src/index.js';
import { DeveloperApiModule } from '../../../libs/developer-api/src/index.js';
import { HealthModule } from '../../../libs/health/src/index.js';
import { MetricsModule } from '../../../libs/metrics/src/index.js';

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
        DeveloperApiModule,
      ],
    };
  }
}
