import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { PoolConfig } from 'pg';
import type { SqlStatement } from './database-connection.js';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/**
 * Applies prisma/migrations in-process with Prisma's WebAssembly schema engine, exactly as `prisma migrate deploy`
 * does (same `_prisma_migrations` bookkeeping, advisory lock on PostgreSQL), but offline and for embedded PGlite too:
 * the CLI's native engine is a download this service cannot rely on.
 */

const NO_FILTER = { externalTables: [], externalEnums: [] };

// The WebAssembly global is not in this project's TypeScript libs; this is the part of it the engine needs.
interface WasmApi {
  Module: new (bytes: Buffer) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmApi };

let engineClass: typeof SchemaEngine | undefined;

// wasm-bindgen keeps module state globally: instantiate the engine once per process.
function schemaEngine(): typeof SchemaEngine {
  if (engineClass) return engineClass;
  const require = createRequire(import.meta.url);
  const wasmFile = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const instance = new wasm.Instance(new wasm.Module(readFileSync(wasmFile)), {
    './schema_engine_bg.js': withUnrefTimers(wasmBindings),
  });
  const exports = instance.exports as { __wbindgen_start(): void };
  wasmBindings.__wbg_set_wasm(exports);
  exports.__wbindgen_start();
  engineClass = wasmBindings.SchemaEngine;
  return engineClass;
}

/**
 * The engine arms a 10 s timer (its lock timeout) that it never clears; unref'd, it no longer holds a finished CLI
 * command or test process open for those 10 s. Anything still migrating keeps the process alive by its own I/O.
 */
function withUnrefTimers(bindings: typeof wasmBindings): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bindings };
  for (const [name, binding] of Object.entries(bindings)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof binding !== 'function') continue;
    imports[name] = (...args: unknown[]) => {
      const timer = (binding as (...a: unknown[]) => unknown)(...args);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      return timer;
    };
  }
  return imports;
}

/** The project's prisma/ folder, found from this file so it works from src (tests) and dist (production). */
export function prismaDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'prisma', 'migrations'))) return join(dir, 'prisma');
    const parent = dirname(dir);
    if (parent === dir) throw new Error('prisma/migrations not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export async function readMigrations(migrationsDir = join(prismaDirectory(), 'migrations')): Promise<MigrationList> {
  const baseDir = resolve(migrationsDir);
  const lockContent = await readFile(join(baseDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  const folders = (await readdir(baseDir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
  const migrationDirectories = await Promise.all(
    folders.map(async (folder) => ({
      path: folder.name,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(join(baseDir, folder.name, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        ),
      },
    })),
  );
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    migrationDirectories,
    shadowDbInitScript: '',
  };
}

async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  let engine: SchemaEngine;
  try {
    engine = await schemaEngine().new({ datamodels: undefined }, () => undefined, adapter);
  } catch (error) {
    throw driverError(adapter, error);
  }
  try {
    return await use(engine);
  } catch (error) {
    throw driverError(adapter, error);
  } finally {
    engine.free();
  }
}

// The engine reports driver failures by registry id; surface the driver's own error (e.g. ECONNREFUSED) instead.
function driverError(adapter: ReturnType<typeof bindMigrationAwareSqlAdapterFactory>, error: unknown): unknown {
  const id = typeof error === 'number' ? error : (error as { id?: unknown } | null)?.id;
  return (typeof id === 'number' ? adapter.errorRegistry.consumeError(id)?.error : undefined) ?? error;
}

/** The driver-level parts of the stock adapters that a whole-script runner needs. */
interface ScriptCapableAdapter extends SqlDriverAdapter {
  client: { exec(sql: string): Promise<unknown> } & { query(sql: string): Promise<unknown> };
  onError(error: unknown): never;
}

/**
 * Makes each migration.sql run as ONE script, as Prisma's native engine does. The stock adapters do not: adapter-pg
 * splits on ';' (breaking $$ bodies and leaving a failed migration half-applied) and the PGlite adapter does not
 * await its exec (recording a failed migration as applied).
 */
function wholeScripts<F extends SqlMigrationAwareDriverAdapterFactory>(factory: F, kind: MigrationTarget['kind']): F {
  for (const method of ['connect', 'connectToShadowDb'] as const) {
    const open = factory[method].bind(factory);
    factory[method] = async () => {
      const adapter = (await open()) as ScriptCapableAdapter;
      adapter.executeScript = async (sql: string) => {
        try {
          await (kind === 'pglite' ? adapter.client.exec(sql) : adapter.client.query(sql));
        } catch (error) {
          adapter.onError(error);
        }
      };
      return adapter;
    };
  }
  return factory;
}

/** A PostgreSQL adapter factory whose connections (and their advisory-lock sessions) are all closed afterwards. */
function disposablePostgresFactory(url: string): {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
} {
  // One connection: the advisory lock, the DDL and the bookkeeping share a session. Separate fields, not a
  // connectionString, so a shadow database's `database` could never be overridden back to the real one.
  const factory = wholeScripts(
    new PrismaPg({ ...parseConnectionString(url), max: 1, connectionTimeoutMillis: 5_000 } as PoolConfig),
    'postgres',
  );
  const opened: SqlDriverAdapter[] = [];
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    opened.push(adapter);
    return adapter;
  };
  return { factory, close: async () => void (await Promise.all(opened.splice(0).map((adapter) => adapter.dispose()))) };
}

/**
 * Migration folders not yet recorded as applied, read with one query: at start-up this spares loading the schema
 * engine (about 0.5-1 s) when, as usual, there is nothing to apply. An unmigrated database has no table: all pending.
 */
export async function pendingMigrationNames(
  query: (statement: SqlStatement) => Promise<{ migration_name: string }[]>,
  migrationsDir = join(prismaDirectory(), 'migrations'),
): Promise<string[]> {
  const folders = (await readdir(resolve(migrationsDir), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  let applied: Set<string>;
  try {
    const rows = await query({
      name: 'applied_migrations',
      text: 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      values: [],
    });
    applied = new Set(rows.map((row) => row.migration_name));
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return folders.sort();
    throw error;
  }
  return folders.filter((name) => !applied.has(name)).sort();
}

const UNDEFINED_TABLE = '42P01';

export type MigrationTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; pglite: PGlite };

/** Applies pending migrations; returns the names applied (none when the database is up to date). */
export async function applyMigrations(target: MigrationTarget, migrationsDir?: string): Promise<string[]> {
  const migrationsList = await readMigrations(migrationsDir);
  if (target.kind === 'pglite') {
    const result = await withEngine(wholeScripts(new PrismaPGlite(target.pglite), 'pglite'), (engine) =>
      engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
    );
    return result.appliedMigrationNames;
  }
  const { factory, close } = disposablePostgresFactory(target.url);
  try {
    const result = await withEngine(factory, (engine) =>
      engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
    );
    return result.appliedMigrationNames;
  } finally {
    await close();
  }
}

/**
 * SQL that would turn the migrations' schema into schema.prisma: empty when they agree. The migrations are replayed
 * on a throwaway in-memory PGlite, so no database is touched.
 */
export async function schemaDrift(
  schemaFile = join(prismaDirectory(), 'schema.prisma'),
  migrationsDir?: string,
): Promise<string> {
  const shadow = await PGlite.create('memory://');
  try {
    const migrations = await readMigrations(migrationsDir);
    const factory = wholeScripts(new PrismaPGlite(shadow), 'pglite');
    // The throwaway database doubles as the shadow; the adapter's own shadow PGlite is never closed.
    factory.connectToShadowDb = factory.connect;
    const result = await withEngine(factory, async (engine) =>
      engine.diff({
        from: { tag: 'migrations', ...migrations },
        to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: await readFile(schemaFile, 'utf8') }] },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      }),
    );
    return result.exitCode === 0 ? '' : (result.stdout ?? '');
  } finally {
    await shadow.close();
  }
}

/** The full SQL for schema.prisma from an empty database (to write a first migration). */
export async function schemaSql(schemaFile = join(prismaDirectory(), 'schema.prisma')): Promise<string> {
  const shadow = await PGlite.create('memory://');
  try {
    const result = await withEngine(new PrismaPGlite(shadow), async (engine) =>
      engine.diff({
        from: { tag: 'empty' },
        to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: await readFile(schemaFile, 'utf8') }] },
        script: true,
        exitCode: null,
        filters: NO_FILTER,
      }),
    );
    return result.stdout ?? '';
  } finally {
    await shadow.close();
  }
}
