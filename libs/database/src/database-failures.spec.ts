import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { Prisma } from './generated/prisma/client.js';
import { DatabaseUnavailableError, unavailabilityReason } from './database-failures.js';

// The failures as the drivers build them: node-postgres's DatabaseError (a server ErrorResponse), Node's socket
// errors, pg's and pg-pool's code-less errors, the Prisma driver adapter's errors, and Prisma's own.
const serverError = (code: string, message = 'server error') =>
  Object.assign(new pg.DatabaseError(message, 0, 'error'), { severity: 'ERROR', code });
const socketError = (code: string) => Object.assign(new Error(`read ${code}`), { code, errno: -104, syscall: 'read' });
const adapterError = (cause: ConstructorParameters<typeof DriverAdapterError>[0]) => new DriverAdapterError(cause);
const adapterPostgresError = (code: string) =>
  adapterError({
    kind: 'postgres',
    code,
    severity: 'ERROR',
    message: 'server error',
    detail: undefined,
    column: undefined,
    hint: undefined,
  });
const prismaError = (code: string, meta?: Record<string, unknown>, message = 'failed') =>
  new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: '7.10.0', meta });

describe('unavailabilityReason', () => {
  it.each([
    [
      'statement_timeout (57014)',
      serverError('57014', 'canceling statement due to statement timeout'),
      'SQLSTATE 57014',
    ],
    ['admin shutdown (57P01)', serverError('57P01'), 'SQLSTATE 57P01'],
    ['crash shutdown (57P02)', serverError('57P02'), 'SQLSTATE 57P02'],
    ['the server starting up (57P03)', serverError('57P03'), 'SQLSTATE 57P03'],
    ['a connection exception (08006)', serverError('08006'), 'SQLSTATE 08006'],
    ['too many connections (53300)', serverError('53300'), 'SQLSTATE 53300'],
    ['an idle transaction ended by the server (25P03)', serverError('25P03'), 'SQLSTATE 25P03'],
    ['a serialization failure (40001)', serverError('40001'), 'SQLSTATE 40001'],
    ['a deadlock (40P01)', serverError('40P01'), 'SQLSTATE 40P01'],
    ['a reset connection', socketError('ECONNRESET'), 'ECONNRESET'],
    ['a refused connection', socketError('ECONNREFUSED'), 'ECONNREFUSED'],
    ['a timed-out socket', socketError('ETIMEDOUT'), 'ETIMEDOUT'],
    ['a broken pipe', socketError('EPIPE'), 'EPIPE'],
    ['pg: connection lost', new Error('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
    [
      'pg-pool: connecting took too long',
      new Error('Connection terminated due to connection timeout'),
      'Connection terminated due to connection timeout',
    ],
    [
      'pg-pool: no free connection in time',
      new Error('timeout exceeded when trying to connect'),
      'timeout exceeded when trying to connect',
    ],
    [
      'pg: a client whose connection failed',
      new Error('Client has encountered a connection error and is not queryable'),
      'Client has encountered a connection error and is not queryable',
    ],
    [
      'pg-pool: shutting down',
      new Error('Cannot use a pool after calling end on the pool'),
      'Cannot use a pool after calling end on the pool',
    ],
    ['PGlite closed', new Error('PGlite is closed'), 'PGlite is closed'],
    ['adapter: connection closed', adapterError({ kind: 'ConnectionClosed' }), 'ConnectionClosed'],
    ['adapter: socket timeout', adapterError({ kind: 'SocketTimeout' }), 'SocketTimeout'],
    [
      'adapter: unreachable',
      adapterError({ kind: 'DatabaseNotReachable', host: 'db', port: 5432 }),
      'DatabaseNotReachable',
    ],
    ['adapter: a PostgreSQL error of an unavailable class', adapterPostgresError('57P01'), 'SQLSTATE 57P01'],
    ['Prisma: connection closed (P1017)', prismaError('P1017'), 'Prisma P1017'],
    ['Prisma: unreachable (P1001)', prismaError('P1001'), 'Prisma P1001'],
    ['Prisma: write conflict (P2034)', prismaError('P2034'), 'Prisma P2034'],
    [
      'Prisma: the transaction time limit (P2028)',
      prismaError('P2028', { operation: 'commit', timeout: 1000, timeTaken: 1200 }),
      'Prisma P2028 (transaction time limit)',
    ],
    [
      'Prisma: no connection to start a transaction in time (P2028)',
      prismaError('P2028', undefined, 'Transaction API error: Unable to start a transaction in the given time.'),
      'Prisma P2028 (transaction time limit)',
    ],
    [
      'Prisma: an unmapped error carrying 57014 (P2039)',
      prismaError('P2039', {
        driverAdapterError: adapterPostgresError('57014'),
      }),
      'Prisma P2039 SQLSTATE 57014',
    ],
    [
      'Prisma: initialisation',
      new Prisma.PrismaClientInitializationError('cannot connect', '7.10.0'),
      'Prisma could not connect',
    ],
    ['already classified', new DatabaseUnavailableError('no answer within 1500 ms'), 'no answer within 1500 ms'],
  ])('%s is an outage', (_name, error, reason) => {
    expect(unavailabilityReason(error)).toBe(reason);
  });

  it.each([
    ['a unique violation', serverError('23505')],
    ['text with NUL (22021)', serverError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')],
    ['a syntax error', serverError('42601')],
    ['a missing table', serverError('42P01')],
    ['a division by zero', serverError('22012')],
    ['Prisma: unique constraint (P2002)', prismaError('P2002')],
    ['Prisma: record not found (P2025)', prismaError('P2025')],
    [
      'Prisma: a transaction used after its commit (P2028)',
      prismaError('P2028', undefined, 'Transaction already closed'),
    ],
    [
      'Prisma: an unmapped error carrying 22021 (P2039)',
      prismaError('P2039', {
        driverAdapterError: adapterPostgresError('22021'),
      }),
    ],
    [
      'adapter: a unique violation',
      adapterError({ kind: 'UniqueConstraintViolation', constraint: { fields: ['id'] } }),
    ],
    [
      'pg: a misused prepared statement',
      new Error("Prepared statements must be unique - 'x' was used for a different statement"),
    ],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a message that only mentions a connection', new Error('Connection pool configuration is invalid')],
    ['not an error', 'Connection terminated unexpectedly'],
    ['nothing', undefined],
  ])('%s is not an outage', (_name, error) => {
    expect(unavailabilityReason(error)).toBeUndefined();
  });
});
