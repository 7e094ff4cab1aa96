export {
  EmbeddedDatabaseBusyError,
  openDatabase,
  type DatabaseConnection,
  type SqlStatement,
} from './database-connection.js';
export { DATABASE_UNAVAILABLE, DatabaseExceptionFilter } from './database-exception.filter.js';
export { DATABASE_CONNECTION, DatabaseModule } from './database.module.js';
export {
  applyMigrations,
  pendingMigrationNames,
  prismaDirectory,
  readMigrations,
  schemaDrift,
  schemaSql,
  type MigrationTarget,
} from './migrator.js';
export { DatabaseUnavailableError, PrismaService } from './prisma.service.js';
