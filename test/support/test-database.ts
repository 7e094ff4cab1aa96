import { randomBytes } from 'node:crypto';
import pg from 'pg';

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
