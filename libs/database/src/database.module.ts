import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { openDatabase, type DatabaseConnection } from './database-connection.js';
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
            const connection = await openDatabase(config.database, (error) =>
              logger.error(`Lost the embedded database lock: ${error.message}`),
            );
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
