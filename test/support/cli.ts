import pg from 'pg';
import { openDatabase, type DatabaseConnection } from '#libs/database';
import { createTestDatabase } from './test-database.js';

/** What one CLI run left behind: its exit code and everything it wrote (in-process or spawned alike). */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type CliEnv = Record<string, string | undefined>;

/** A successful --json run: exit 0, nothing on stderr, exactly one JSON object on stdout. */
export function jsonOutput(result: CliResult): Record<string, unknown> {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
  const value: unknown = JSON.parse(result.stdout);
  expect(value).toBeInstanceOf(Object);
  expect(Array.isArray(value)).toBe(false);
  return value as Record<string, unknown>;
}

/** A failed run: the exit code, nothing on stdout, one line on stderr. */
export function failure(result: CliResult, code: 1 | 2): string {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr).toMatch(/^[^\n]+\n$/);
  return result.stderr.trimEnd();
}

/** A database the CLI is pointed at through its environment, and a way for the test to look inside. */
export interface CliDatabase {
  env: CliEnv;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh PostgreSQL database when DATABASE_URL is set, else an embedded PGlite data directory under `dataDir`: each
 * CLI run opens and closes its database, so an in-memory one would be gone before the next command.
 */
export async function createCliDatabase(dataDir: string): Promise<CliDatabase> {
  return process.env.DATABASE_URL ? createPostgresDatabase() : createPgliteDatabase(dataDir);
}

async function createPostgresDatabase(): Promise<CliDatabase> {
  const database = await createTestDatabase('cli');
  const pool = new pg.Pool({ connectionString: database.env.DATABASE_URL, max: 1 });
  return {
    env: database.env,
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    drop: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

function createPgliteDatabase(dataDir: string): CliDatabase {
  return {
    env: { PGLITE_DATA_DIR: dataDir },
    // Opened per query, as the service would be: the CLI must find the directory free between queries.
    query: async <T>(sql: string, params?: unknown[]) => {
      const connection = await openPglite(dataDir);
      try {
        return (await pgliteOf(connection).query<T>(sql, params)).rows;
      } finally {
        await connection.close();
      }
    },
    drop: async () => undefined,
  };
}

/** Opens an embedded data directory as the service does, taking its lock. */
export function openPglite(dataDir: string): Promise<DatabaseConnection> {
  return openDatabase({ kind: 'pglite', dataDir, migrateOnStart: false });
}

export function pgliteOf(connection: DatabaseConnection) {
  if (connection.migrationTarget.kind !== 'pglite') throw new Error('not an embedded database');
  return connection.migrationTarget.pglite;
}
