export {
  openDatabase,
  type DatabaseConnection,
  type DataDirLockEvents,
  type SqlStatement,
} from './database-connection.js';
export { EmbeddedDatabaseBusyError, type LockOwner } from './data-dir-lock.js';
export { DATABASE_UNAVAILABLE, DatabaseExceptionFilter } from './database-exception.filter.js';
export { DATABASE_CONNECTION, DatabaseModule, staleLockNotice } from './database.module.js';
export {
  applyMigrations,
  pendingMigrationNames,
  prismaDirectory,
  readMigrations,
  schemaDrift,
  schemaSql,
  type MigrationTarget,
} from './migrator.js';
export { DatabaseUnavailableError, unavailabilityReason } from './database-failures.js';
export { ANSWER_GRACE_MS } from './postgres-pool.js';
export { PrismaService, type DatabaseTransaction } from './prisma.service.js';
