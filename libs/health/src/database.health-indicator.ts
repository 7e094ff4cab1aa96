import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { PrismaService } from '#libs/database';

/** A readiness probe must answer even when the database hangs: past this, the check reports a timeout. */
export const DATABASE_HEALTH_TIMEOUT_MS = 5_000;

/** The terminus key of the database check. */
export const DATABASE_KEY = 'database';

export type DatabaseConnectionKind = 'postgresql' | 'pglite';

/** What the indicator reports under `database`: the server version when up, the reason when down. */
export type DatabaseCheck =
  | { status: 'up'; connection: DatabaseConnectionKind; version: string }
  | { status: 'down'; connection: DatabaseConnectionKind; error: string };

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

/** Terminus indicator for the service's database: one real `SELECT 1` through Prisma, over the API's own pool. */
@Injectable()
export class DatabaseHealthIndicator {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
  ) {}

  /** The database the service is configured with, in the health bodies' words. */
  get connection(): DatabaseConnectionKind {
    return this.prisma.databaseKind === 'postgres' ? 'postgresql' : 'pglite';
  }

  /** Never throws: a failure or a timeout is reported `down` with its reason. */
  async isHealthy(timeoutMs = DATABASE_HEALTH_TIMEOUT_MS): Promise<HealthIndicatorResult<typeof DATABASE_KEY>> {
    const indicator = this.indicators.check(DATABASE_KEY);
    const connection = this.connection;
    try {
      const rows = await withTimeout(
        this.prisma.$queryRaw<{ ok: number; server_version: string }[]>`
          SELECT 1 AS ok, current_setting('server_version') AS server_version`,
        timeoutMs,
      );
      if (rows[0]?.ok !== 1) throw new Error('SELECT 1 did not return 1');
      return indicator.up({ connection, version: `PostgreSQL ${rows[0].server_version}` });
    } catch (error) {
      const reason = failureReason(error);
      this.logger.warn(`Database health check failed: ${reason}`);
      return indicator.down({ connection, error: reason });
    }
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
