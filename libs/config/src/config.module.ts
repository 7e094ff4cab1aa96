import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { loadConfig } from './load-config.js';

@Global()
@Module({})
export class ConfigModule {
  /** Validated once; pass a ready AppConfig (tests) or let it read process.env. */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        {
          provide: AppConfig,
          useFactory: () =>
            config ?? loadConfig(process.env, { warn: (message) => new Logger('Config').warn(message) }),
        },
      ],
      exports: [AppConfig],
    };
  }
}
