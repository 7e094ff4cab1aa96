import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  applyMigrations,
  EmbeddedDatabaseBusyError,
  openDatabase,
  prismaDirectory,
  schemaDrift,
  type MigrationTarget,
} from '#libs/database';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const MIGRATIONS = join(prismaDirectory(), 'migrations');
const APP_TABLES = [
  '_prisma_migrations',
  'checkout_sessions',
  'idempotent_responses',
  'leases',
  'payments',
  'projects',
  'stripe_config_changes',
  'stripe_configs',
  'stripe_customers',
  'subscriptions',
  'webhook_events',
  'webhook_signature_failures',
];
const MIGRATION_NAMES = readdirSync(MIGRATIONS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Runs SQL on whichever back end the suite targets. */
interface Probe {
  target: MigrationTarget;
  query<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

async function openProbe(database: TestDatabase): Promise<Probe> {
  if (database.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
    await client.connect();
    return {
      target: { kind: 'postgres', url: database.env.DATABASE_URL },
      query: async <T>(sql: string) => (await client.query(sql)).rows as T[],
      close: () => client.end(),
    };
  }
  const pglite = await PGlite.create('memory://');
  return {
    target: { kind: 'pglite', pglite },
    query: async <T>(sql: string) => (await pglite.query<T>(sql)).rows,
    close: () => pglite.close(),
  };
}

async function publicTables(probe: Probe): Promise<string[]> {
  const rows = await probe.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

const onPostgres = Boolean(process.env.DATABASE_URL);

describe(`database on ${onPostgres ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let database: TestDatabase;
  let probe: Probe;

  beforeEach(async () => {
    database = await createTestDatabase('db');
    probe = await openProbe(database);
  });

  afterEach(async () => {
    await probe.close();
    await database.drop();
  });

  it('creates the tables for real, records the migration, and applies nothing the second time', async () => {
    expect(await publicTables(probe)).toEqual([]);

    expect(await applyMigrations(probe.target)).toEqual(MIGRATION_NAMES);
    expect(await publicTables(probe)).toEqual(APP_TABLES);
    const history = await probe.query<{ migration_name: string; finished: boolean; checksum: string }>(
      'SELECT migration_name, finished_at IS NOT NULL AS finished, checksum FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(MIGRATION_NAMES.length).toBeGreaterThanOrEqual(2);
    expect(history).toEqual(
      MIGRATION_NAMES.map((name) => ({
        migration_name: name,
        finished: true,
        checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      })),
    );

    expect(await applyMigrations(probe.target)).toEqual([]);
    expect(await probe.query('SELECT migration_name FROM _prisma_migrations')).toHaveLength(MIGRATION_NAMES.length);
  });

  it('enforces the customer mapping constraints in the database', async () => {
    await applyMigrations(probe.target);
    const project = '00000000-0000-4000-8000-000000000001';
    const user = '00000000-0000-4000-8000-000000000002';
    const otherUser = '00000000-0000-4000-8000-000000000003';
    await probe.query(
      `INSERT INTO projects (id, name, owner_id, updated_at) VALUES ('${project}', 'p', '${user}', now())`,
    );
    const insert = (id: string, userId: string, mode: string, customer: string) =>
      probe.query(
        `INSERT INTO stripe_customers (id, project_id, user_id, mode, stripe_customer_id, updated_at)
         VALUES ('${id}', '${project}', '${userId}', '${mode}', '${customer}', now())`,
      );
    await insert('10000000-0000-4000-8000-000000000001', user, 'test', 'cus_1');
    await insert('10000000-0000-4000-8000-000000000002', user, 'live', 'cus_1');
    await expect(insert('10000000-0000-4000-8000-000000000003', user, 'test', 'cus_2')).rejects.toThrow(/unique/i);
    await expect(insert('10000000-0000-4000-8000-000000000004', otherUser, 'test', 'cus_1')).rejects.toThrow(/unique/i);
    await expect(insert('10000000-0000-4000-8000-000000000005', otherUser, 'sandbox', 'cus_9')).rejects.toThrow(
      /enum/i,
    );
  });

  it('runs each migration as one script: a failing migration leaves nothing behind and is not recorded as applied', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      cpSync(MIGRATIONS, folder, { recursive: true });
      mkdirSync(join(folder, '20991231000000_broken'));
      writeFileSync(
        join(folder, '20991231000000_broken', 'migration.sql'),
        `CREATE TABLE half_done (id int);
         CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;
         SELECT * FROM no_such_table;`,
      );
      await expect(applyMigrations(probe.target, folder)).rejects.toThrow(/no_such_table/);

      const tables = await publicTables(probe);
      expect(tables).toEqual(APP_TABLES);
      const history = await probe.query<{ migration_name: string; finished: boolean }>(
        'SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(history).toEqual([
        ...MIGRATION_NAMES.map((name) => ({ migration_name: name, finished: true })),
        { migration_name: '20991231000000_broken', finished: false },
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  // Replicas share a server only on PostgreSQL; embedded PGlite is single-process by construction.
  if (onPostgres) {
    it('is safe when several replicas migrate at once (advisory lock)', async () => {
      const results = await Promise.all([1, 2, 3].map(() => applyMigrations(probe.target)));
      expect(results.flat()).toEqual(MIGRATION_NAMES);
      expect(await publicTables(probe)).toEqual(APP_TABLES);
      expect(await probe.query('SELECT 1 FROM _prisma_migrations')).toHaveLength(MIGRATION_NAMES.length);
    });
  }
});

describe('schema drift', () => {
  it('finds none between prisma/schema.prisma and prisma/migrations', async () => {
    expect(await schemaDrift()).toBe('');
  });

  it('reports the SQL that is missing when the schema gains a model the migrations lack', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'schema-'));
    try {
      const schema = readFileSync(join(prismaDirectory(), 'schema.prisma'), 'utf8');
      const file = join(folder, 'schema.prisma');
      writeFileSync(file, `${schema}\nmodel AuditEntry {\n  id Int @id\n  @@map("audit_entries")\n}\n`);
      const drift = await schemaDrift(file);
      expect(drift).toContain('CREATE TABLE "audit_entries"');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('embedded data directory', () => {
  it('is held by one process at a time, and keeps its data across reopenings', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pglite-'));
    // Left by a process with a permissive umask: made private when the database opens.
    writeFileSync(join(dataDir, 'left-behind'), 'x', { mode: 0o666 });
    chmodSync(join(dataDir, 'left-behind'), 0o666);
    try {
      const first = await openDatabase({ kind: 'pglite', dataDir, migrateOnStart: false });
      await applyMigrations(first.migrationTarget);
      if (first.migrationTarget.kind !== 'pglite') throw new Error('expected PGlite');
      await first.migrationTarget.pglite.query(
        "INSERT INTO projects (id, name, owner_id, updated_at) VALUES ('00000000-0000-4000-8000-00000000000a', 'kept', '00000000-0000-4000-8000-00000000000b', now())",
      );

      const second = openDatabase({ kind: 'pglite', dataDir, migrateOnStart: false });
      await expect(second).rejects.toBeInstanceOf(EmbeddedDatabaseBusyError);
      await expect(second).rejects.toThrow(`in use by process ${process.pid} (is the service running?)`);

      // Only this user can read or write the data: the folder 0700, every file 0600, also those PGlite made.
      const entries = readdirSync(dataDir, { recursive: true, withFileTypes: true });
      const modes = new Set(
        entries.map((entry) => (entry.isDirectory() ? 'dir ' : 'file ') + modeOf(join(entry.parentPath, entry.name))),
      );
      expect(entries.length).toBeGreaterThan(100);
      expect(modeOf(dataDir)).toBe('700');
      expect([...modes].sort()).toEqual(['dir 700', 'file 600']);

      await first.close();
      const reopened = await openDatabase({ kind: 'pglite', dataDir, migrateOnStart: false });
      try {
        if (reopened.migrationTarget.kind !== 'pglite') throw new Error('expected PGlite');
        const rows = await reopened.migrationTarget.pglite.query<{ name: string }>('SELECT name FROM projects');
        expect(rows.rows).toEqual([{ name: 'kept' }]);
        expect(await applyMigrations(reopened.migrationTarget)).toEqual([]);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
