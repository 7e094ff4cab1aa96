import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import type { AppConfig } from '../../config/src/index.js';
import type { MigrationTarget } from './migrator.js';

/** Another process (usually the running service) holds the embedded data directory. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(dataDir: string) {
    super(
      `The embedded database in ${dataDir} is in use by another process (is the service running?). ` +
        'Stop that process first, or set DATABASE_URL to use PostgreSQL, which the service and the CLI can share.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

/** One parameterised statement for the raw driver; `name` makes it a prepared statement, parsed and planned once. */
export interface SqlStatement {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/**
 * An open database: the Prisma driver adapter for it, node-postgres on the same database for hot-path statements
 * (measured: Prisma adds 0.3-1.1 ms per query, see bench/README.md), and how to release it.
 */
export interface DatabaseConnection {
  readonly kind: 'postgres' | 'pglite';
  readonly adapter: SqlMigrationAwareDriverAdapterFactory;
  readonly migrationTarget: MigrationTarget;
  query<Row>(statement: SqlStatement): Promise<Row[]>;
  close(): Promise<void>;
}

export async function openDatabase(
  database: AppConfig['database'],
  onLockLost?: (error: Error) => void,
): Promise<DatabaseConnection> {
  if (database.kind === 'postgres') {
    // One pool for Prisma and the hot path, so DATABASE_POOL_SIZE bounds every connection the service opens.
    const pool = new pg.Pool({
      connectionString: database.url,
      max: database.poolSize,
      connectionTimeoutMillis: 5_000,
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process; the pool replaces it.
    pool.on('error', (error) => new Logger('Database').warn(`Idle PostgreSQL connection lost: ${error.message}`));
    return {
      kind: 'postgres',
      adapter: new PrismaPg(pool),
      migrationTarget: { kind: 'postgres', url: database.url },
      query: async <Row>(statement: SqlStatement) => (await pool.query<Row & pg.QueryResultRow>(statement)).rows,
      close: async () => {
        if (!pool.ended) await pool.end();
      },
    };
  }
  if (database.dataDir === 'memory://') {
    const pglite = await PGlite.create('memory://');
    try {
      return await pgliteConnection(pglite, () => pglite.close());
    } catch (error) {
      await pglite.close();
      throw error;
    }
  }
  const dataDir = resolve(database.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const release = await lockDataDir(dataDir, onLockLost);
  try {
    const pglite = await PGlite.create(join(dataDir, 'pgdata'));
    return await pgliteConnection(pglite, async () => {
      await pglite.close();
      await release();
    });
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Prisma talks to PGlite through its adapter; hot-path statements go through node-postgres on the same PGlite, so a
 * named statement is parsed and planned once, which PGlite's own `query` cannot do (it parses every call): the portal
 * query took 75 instead of 180 us (bench/README.md).
 */
async function pgliteConnection(pglite: PGlite, close: () => Promise<void>): Promise<DatabaseConnection> {
  const client = new pg.Client(createPgConfig(pglite));
  client.on('error', (error) => new Logger('Database').warn(`Embedded database connection failed: ${error.message}`));
  await client.connect();
  return {
    kind: 'pglite',
    adapter: new PrismaPGlite(pglite),
    migrationTarget: { kind: 'pglite', pglite },
    query: async <Row>(statement: SqlStatement) =>
      (await exclusively(pglite, () => client.query<Row & pg.QueryResultRow>(statement))).rows,
    close: async () => {
      await client.end();
      await close();
    },
  };
}

/**
 * PGlite has one session, and its protocol entry points take none of its locks. The hot path takes both, as
 * `pglite.query` does: the transaction lock, so it never runs inside an open Prisma transaction (it would see
 * uncommitted rows, and an error of its own would abort that transaction), then the query lock (runExclusive).
 */
function exclusively<T>(pglite: PGlite, run: () => Promise<T>): Promise<T> {
  return pglite._runExclusiveTransaction(() => pglite.runExclusive(run));
}

// PGlite is single-process: a lock beside the data files keeps a second process from opening (and corrupting) them.
async function lockDataDir(dataDir: string, onLockLost?: (error: Error) => void): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath: join(dataDir, 'pglite.lock'),
      stale: 30_000,
      update: 10_000,
      onCompromised: (error) => onLockLost?.(error),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new EmbeddedDatabaseBusyError(dataDir);
    throw error;
  }
}
