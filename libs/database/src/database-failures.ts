/** The database could not be reached or could not serve in time (connection, resources, shutdown, time limit): 503. */
export class DatabaseUnavailableError extends Error {
  // No `code` property on purpose: Prisma turns any error with a `code` into a PrismaClientKnownRequestError.
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Database unavailable: ${reason}`, options);
    this.name = 'DatabaseUnavailableError';
  }
}

// SQLSTATE classes of a server that cannot serve now: 08 connection exception, 53 insufficient resources, 57 operator
// intervention (57014 query_canceled is what statement_timeout raises; 57P01-57P03 shutdown or start-up), 58 system.
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58']);
// 25P03: idle_in_transaction_session_timeout ended the session; 40001/40P01: serialization failure or deadlock, where
// the same request succeeds when retried.
const UNAVAILABLE_SQLSTATES = new Set(['25P03', '40001', '40P01']);

// Socket failures as Node reports them.
const SOCKET_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

// node-postgres, pg-pool and PGlite say that a connection was lost or could not be had only in words: no code.
const DRIVER_CONNECTION_MESSAGES = [
  /^Connection terminated/, // "... unexpectedly", "... due to connection timeout"
  /^timeout expired$/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^PGlite is closed$/,
];

// Prisma's codes for the same failures: P1000-P1017 connection and authentication, P2024 connection pool timeout,
// P2034 write conflict or deadlock (retry), P2037 too many connections.
const PRISMA_UNAVAILABLE_CODES = new Set([
  'P1000',
  'P1001',
  'P1002',
  'P1003',
  'P1008',
  'P1010',
  'P1011',
  'P1017',
  'P2024',
  'P2034',
  'P2037',
]);

// The driver adapters' kinds for a failure to reach or keep the database (a DriverAdapterError's `cause.kind`).
const ADAPTER_UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'TlsConnectionError',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
]);

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  severity?: unknown;
  meta?: { timeout?: unknown; driverAdapterError?: unknown };
  cause?: { kind?: unknown; code?: unknown; originalCode?: unknown };
}

/**
 * Why `error` means the database is unavailable (a 503 the same request may get past later), or undefined when it
 * is anything else: a statement the database refused or a bug, which must surface as such. Judged only by the
 * drivers' codes and kinds (and node-postgres's fixed messages for lost connections, which carry no code). The reason
 * names a code or kind, never a host or a value.
 */
export function unavailabilityReason(error: unknown): string | undefined {
  if (error instanceof DatabaseUnavailableError) return error.reason;
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, code, severity, meta, cause } = error as ErrorShape;
  if (name === 'PrismaClientInitializationError') return 'Prisma could not connect';
  if (name === 'DriverAdapterError' && typeof cause === 'object' && cause !== null) {
    return adapterCauseReason(cause);
  }
  if (typeof code === 'string') {
    if (SOCKET_ERROR_CODES.has(code)) return code;
    if (/^P\d{4}$/.test(code)) return prismaCodeReason(code, meta, message);
    // A PostgreSQL ErrorResponse (node-postgres's DatabaseError, or PGlite's) carries a severity beside its SQLSTATE.
    if (typeof severity === 'string') return sqlStateReason(code);
  }
  if (typeof message === 'string' && DRIVER_CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) {
    return message;
  }
  return undefined;
}

function sqlStateReason(sqlState: string): string | undefined {
  const unavailable = UNAVAILABLE_SQLSTATE_CLASSES.has(sqlState.slice(0, 2)) || UNAVAILABLE_SQLSTATES.has(sqlState);
  return unavailable ? `SQLSTATE ${sqlState}` : undefined;
}

function adapterCauseReason(cause: { kind?: unknown; code?: unknown; originalCode?: unknown }): string | undefined {
  if (typeof cause.kind !== 'string') return undefined;
  if (ADAPTER_UNAVAILABLE_KINDS.has(cause.kind)) return cause.kind;
  const sqlState = cause.originalCode ?? cause.code;
  return typeof sqlState === 'string' ? sqlStateReason(sqlState) : undefined;
}

function prismaCodeReason(code: string, meta: ErrorShape['meta'], message: unknown): string | undefined {
  if (PRISMA_UNAVAILABLE_CODES.has(code)) return `Prisma ${code}`;
  // P2028 is every transaction API error; only its two time limits are the database's slowness, not a bug.
  if (code === 'P2028') {
    const timedOut =
      typeof meta?.timeout === 'number' ||
      (typeof message === 'string' && message.includes('Unable to start a transaction in the given time'));
    return timedOut ? 'Prisma P2028 (transaction time limit)' : undefined;
  }
  // Raw and unmapped database errors (P2010, P2039) carry the driver's error: judge it by its SQLSTATE.
  const driverError = meta?.driverAdapterError as ErrorShape | undefined;
  if (driverError?.cause) {
    const reason = adapterCauseReason(driverError.cause);
    return reason && `Prisma ${code} ${reason}`;
  }
  return undefined;
}
