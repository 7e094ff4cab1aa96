import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations, openDatabase } from '#libs/database';

/**
 * The database a test file runs on: a fresh PostgreSQL database of its own on `serverUrl` (DATABASE_URL by default),
 * dropped afterwards, else embedded in-memory PGlite.
 */
export interface TestDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'e2e', serverUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (!serverUrl) return { env: { PGLITE_DATA_DIR: 'memory://' }, drop: async () => undefined };
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A migrated database for one app: on PGlite, a copy of a template this Jest worker migrated once. A fresh in-memory
 * PGlite runs initdb and every migration (about 2 s); a copy of the template opens in about 0.5 s.
 */
export async function createAppDatabase(): Promise<TestDatabase> {
  // Outside the e2e project (no run folder from test/e2e-setup.js), a fresh in-memory one.
  const root = process.env.TEST_PGLITE_ROOT;
  if (process.env.DATABASE_URL || !root) return createTestDatabase();
  const template = join(root, `template-${process.env.JEST_WORKER_ID ?? '1'}`);
  if (!existsSync(`${template}.ready`)) {
    rmSync(template, { recursive: true, force: true });
    const connection = await openDatabase({ kind: 'pglite', dataDir: template, migrateOnStart: false });
    try {
      await applyMigrations(connection.migrationTarget);
    } finally {
      await connection.close();
    }
    writeFileSync(`${template}.ready`, '');
  }
  const dataDir = join(root, randomUUID());
  cpSync(template, dataDir, { recursive: true });
  return { env: { PGLITE_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}
