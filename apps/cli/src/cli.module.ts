import { Module, type DynamicModule } from '@nestjs/common';
import { AccessTokenSigner } from '#libs/auth';
import { AppConfig, ConfigModule } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { ProjectsModule } from '#libs/projects';
import type { CommandName } from './cli-arguments.js';

const REPOSITORY_COMMANDS: readonly CommandName[] = [
  'project create',
  'stripe set',
  'customer link',
  'customer unlink',
  'secrets reencrypt',
];

@Module({})
export class CliModule {
  /** Only what `command` needs: minting a token works without a database, and `db migrate` opens its own. */
  static forCommand(command: CommandName, config: AppConfig): DynamicModule {
    const needsRepository = REPOSITORY_COMMANDS.includes(command);
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), ...(needsRepository ? [DatabaseModule.forRoot(), ProjectsModule] : [])],
      providers: command === 'token mint' ? [AccessTokenSigner] : [],
    };
  }
}
