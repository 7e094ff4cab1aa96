import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../../database/src/index.js';
import type { DatabaseHealthResponse, HealthCheckResponse } from './health.dto.js';

/** A readiness probe must answer even when the database hangs: past this, the check reports a timeout. */
export const DATABASE_HEALTH_TIMEOUT_MS = 5_000;

export const LIVENESS_NOTE = 'Liveness only: the database is checked by GET /api/v1/health/database';

// Driver adapter failure kinds an operator can act on; the host, user and URL are deliberately left out.
const DRIVER_FAILURES: Record<string, string> = {
  DatabaseNotReachable: 'The database server cannot be reached',
  DatabaseDoesNotExist: 'The database does not exist',
  DatabaseAccessDenied: 'The database refused access',
  AuthenticationFailed: 'The database refused the credentials',
  TlsConnectionError: 'The TLS connection to the database failed',
  ConnectionClosed: 'The database closed the connection',
  TooManyConnections: 'The database has too many connections',
  SocketTimeout: 'The connection to the database timed out',
};

class HealthCheckTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  private readonly version = serviceVersion();

  constructor(private readonly prisma: PrismaService) {}

  /** Liveness: answering at all is the signal, so nothing here may touch the database. */
  liveness(): HealthCheckResponse {
    return {
      status: 'healthy',
      database: { status: 'not_checked', connection: this.connection, readiness: '/api/v1/health/database' },
      file_storage: { status: 'not_used' },
      redis: { status: 'not_used' },
      timestamp: new Date().toISOString(),
      version: this.version,
      note: LIVENESS_NOTE,
      error: null,
    };
  }

  /** Readiness: one real `SELECT 1` through Prisma, over the same pool the API uses. */
  async database(timeoutMs = DATABASE_HEALTH_TIMEOUT_MS): Promise<DatabaseHealthResponse> {
    const connection = this.connection;
    try {
      const rows = await withTimeout(
        this.prisma.$queryRaw<{ ok: number; server_version: string }[]>`
          SELECT 1 AS ok, current_setting('server_version') AS server_version`,
        timeoutMs,
      );
      if (rows[0]?.ok !== 1) throw new Error('SELECT 1 did not return 1');
      return {
        status: 'healthy',
        version: `PostgreSQL ${rows[0].server_version}`,
        connection,
        error: null,
        timestamp: new Date().toISOString(),
      };
    } catch (error) {
      const reason = failureReason(error);
      this.logger.warn(`Database health check failed: ${reason}`);
      return { status: 'unhealthy', version: null, connection, error: reason, timestamp: new Date().toISOString() };
    }
  }

  private get connection(): 'postgresql' | 'pglite' {
    return this.prisma.databaseKind === 'postgres' ? 'postgresql' : 'pglite';
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthCheckTimeout(timeoutMs)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line reason for the response body and the log: the failure's kind, never its connection details. */
export function failureReason(error: unknown): string {
  if (error instanceof HealthCheckTimeout) return `The database did not answer within ${error.timeoutMs} ms`;
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } } } | null)?.meta
    ?.driverAdapterError?.cause;
  if (cause?.kind && DRIVER_FAILURES[cause.kind]) return `${DRIVER_FAILURES[cause.kind]} (${cause.kind})`;
  if (cause?.kind === 'postgres' && cause.code) return `The database answered with an error (SQLSTATE ${cause.code})`;
  const { name, code } = (error ?? {}) as { name?: string; code?: unknown };
  return `The database check failed (${[name ?? 'Error', typeof code === 'string' ? code : undefined].filter(Boolean).join(' ')})`;
}

/** The version in the service's package.json, found from this file so it works from src (tests) and dist. */
function serviceVersion(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
