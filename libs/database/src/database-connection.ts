import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite, protocol } from '@electric-sql/pglite';
import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import type { AppConfig } from '#libs/config';
import { lockDataDir, type LockOwner } from './data-dir-lock.js';
import type { MigrationTarget } from './migrator.js';

/** One parameterised statement for the raw driver; `name` makes it a prepared statement, parsed and planned once. */
export interface SqlStatement {
  readonly name: string;
  readonly text: string;
  readonly values: (string | number | null)[];
}

/**
 * An open database: the Prisma driver adapter for it, the raw driver for hot-path statements (node-postgres, or
 * PGlite's protocol; measured: Prisma adds 0.3-1.1 ms per query, see bench/README.md), and how to release it.
 */
export interface DatabaseConnection {
  readonly kind: 'postgres' | 'pglite';
  readonly adapter: SqlMigrationAwareDriverAdapterFactory;
  readonly migrationTarget: MigrationTarget;
  query<Row>(statement: SqlStatement): Promise<Row[]>;
  close(): Promise<void>;
}

/** What an embedded database's owner hears about its lock. */
export interface DataDirLockEvents {
  /** The lock stopped being this process's: stop using the data directory at once. */
  onLockLost?: (error: Error) => void;
  /** The lock of a process that is gone (e.g. killed) was taken over. */
  onStaleLockTakenOver?: (formerOwner: LockOwner) => void;
}

export async function openDatabase(
  database: AppConfig['database'],
  events: DataDirLockEvents = {},
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
    return pgliteConnection(pglite, () => pglite.close());
  }
  const dataDir = resolve(database.dataDir);
  restrictToOwner(dataDir);
  const lock = lockDataDir(dataDir, (error) => events.onLockLost?.(error));
  if (lock.tookOverFrom) events.onStaleLockTakenOver?.(lock.tookOverFrom);
  try {
    const pglite = await PGlite.create(join(dataDir, 'pgdata'));
    return pgliteConnection(pglite, async () => {
      if (!pglite.closed) await pglite.close();
      lock.release();
    });
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The embedded database's files are readable and writable by this user only: the folder 0700, what is in it 0600
 * (0700 for folders), now and for every file PGlite creates later (the process's umask).
 */
function restrictToOwner(dataDir: string): void {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  for (const entry of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) chmodSync(path, 0o700);
    else if (entry.isFile()) chmodSync(path, 0o600);
  }
}

function pgliteConnection(pglite: PGlite, close: () => Promise<void>): DatabaseConnection {
  const statements = new PglitePreparedStatements(pglite);
  return {
    kind: 'pglite',
    adapter: new PrismaPGlite(pglite),
    migrationTarget: { kind: 'pglite', pglite },
    query: (statement) => statements.query(statement),
    close,
  };
}

/**
 * Named statements on PGlite, parsed and planned once, which its own `query` cannot do (it parses and plans every
 * call): the portal query took 74 instead of 183 us (bench/README.md). Each call is one exchange, sent whole (Parse
 * the first time, Bind, Describe, Execute, Sync), under both of PGlite's locks as `pglite.query` takes them: the
 * transaction lock, so it never runs inside an open Prisma transaction (PGlite has one session), then the query lock.
 * Values are read with node-postgres's type parsers, as on PostgreSQL.
 */
class PglitePreparedStatements {
  private readonly prepared = new Set<string>();

  constructor(private readonly pglite: PGlite) {}

  async query<Row>({ name, text, values }: SqlStatement): Promise<Row[]> {
    const { serialize } = protocol;
    const exchange = Buffer.concat([
      ...(this.prepared.has(name) ? [] : [serialize.parse({ name, text })]),
      serialize.bind({ statement: name, values: values.map((value) => (value === null ? null : String(value))) }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    ]);
    const { messages } = await this.pglite._runExclusiveTransaction(() =>
      this.pglite.runExclusive(() => this.pglite.execProtocol(exchange, { throwOnError: false })),
    );
    // Parsed even when Bind or Execute then failed: sending its Parse again would be refused.
    if (messages.some((message) => message.name === 'parseComplete')) this.prepared.add(name);
    const failure = messages.find((message) => message instanceof protocol.messages.DatabaseError);
    if (failure) throw failure;
    return rowsOf<Row>(messages);
  }
}

function rowsOf<Row>(messages: readonly object[]): Row[] {
  let columns: { name: string; parse: (text: string) => unknown }[] = [];
  const rows: Row[] = [];
  for (const message of messages) {
    if (message instanceof protocol.messages.RowDescriptionMessage) {
      columns = message.fields.map((field) => ({ name: field.name, parse: pg.types.getTypeParser(field.dataTypeID) }));
    } else if (message instanceof protocol.messages.DataRowMessage) {
      const row: Record<string, unknown> = {};
      message.fields.forEach((text, i) => (row[columns[i].name] = text === null ? null : columns[i].parse(text)));
      rows.push(row as Row);
    }
  }
  return rows;
}
