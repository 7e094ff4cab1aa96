import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { openDatabase, type DatabaseConnection } from './database-connection.js';
import type { LockOwner } from './data-dir-lock.js';
import { applyMigrations, pendingMigrationNames } from './migrator.js';
import { PrismaService } from './prisma.service.js';

export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/** Opens the configured database (PostgreSQL or embedded PGlite), migrates it if asked, and provides Prisma. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DATABASE_CONNECTION,
          inject: [AppConfig],
          useFactory: async (config: AppConfig): Promise<DatabaseConnection> => {
            const logger = new Logger('Database');
            const connection: DatabaseConnection = await openDatabase(config.database, {
              onLockLost: (error) => {
                // Another process may now be writing the same files: stop at once (every query is then a 503) and
                // exit non-zero, for a supervisor to start a service that takes the lock again.
                logger.error(`Lost the embedded database lock (${error.message}); stopping`);
                void connection.close();
                process.exitCode = 1;
                process.kill(process.pid, 'SIGTERM');
              },
              onStaleLockTakenOver: (owner) => logger.warn(staleLockNotice(owner)),
            });
            if (config.database.migrateOnStart) {
              try {
                // Any doubt (unreachable, unreadable) goes to the engine, which reports it in Prisma's words.
                const pending = await pendingMigrationNames((statement) => connection.query(statement)).catch(
                  () => undefined,
                );
                const applied = pending?.length === 0 ? [] : await applyMigrations(connection.migrationTarget);
                logger.log(
                  applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date',
                );
              } catch (error) {
                await connection.close();
                throw error;
              }
            }
            return connection;
          },
        },
        {
          provide: PrismaService,
          inject: [DATABASE_CONNECTION],
          useFactory: (connection: DatabaseConnection) => new PrismaService(connection),
        },
      ],
      exports: [PrismaService, DATABASE_CONNECTION],
    };
  }
}

export function staleLockNotice(owner: LockOwner): string {
  return (
    `Took over the embedded database lock of process ${owner.pid} (held since ${owner.acquiredAt}), which is no ` +
    'longer running: it stopped without releasing it (killed or crashed)'
  );
}
