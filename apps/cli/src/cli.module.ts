import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AccessTokenSigner } from '#libs/auth';
import { AppConfig, ConfigModule } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { MetricsRegistry } from '#libs/metrics';
import { ProjectsModule } from '#libs/projects';
import type { CommandName } from './cli-arguments.js';

const REPOSITORY_COMMANDS: readonly CommandName[] = [
  'project create',
  'stripe set',
  'customer link',
  'customer unlink',
  'secrets reencrypt',
];

/** Stripe calls record their metrics in a registry; the CLI's is never scraped, and needs no HTTP metrics or route. */
@Global()
@Module({ providers: [MetricsRegistry], exports: [MetricsRegistry] })
class CliMetricsModule {}

@Module({})
export class CliModule {
  /** Only what `command` needs: minting a token works without a database, and `db migrate` opens its own. */
  static forCommand(command: CommandName, config: AppConfig): DynamicModule {
    const needsRepository = REPOSITORY_COMMANDS.includes(command);
    const needsStripe = command === 'stripe sync';
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        ...(needsRepository || needsStripe ? [DatabaseModule.forRoot(), ProjectsModule] : []),
        // Loaded only for this command: the Stripe and webhook code adds over a second to every other command's start.
        ...(needsStripe
          ? [
              CliMetricsModule,
              import('#libs/stripe-webhooks').then(({ SubscriptionSyncModule }) => ({
                module: SubscriptionSyncModule,
              })),
            ]
          : []),
      ],
      providers: command === 'token mint' ? [AccessTokenSigner] : [],
    };
  }
}
