import type { PrismaService } from '../../database/src/index.js';
import { failureReason, HealthService } from './health.service.js';

function serviceOver(queryRaw: () => Promise<unknown>): HealthService {
  return new HealthService({ databaseKind: 'postgres', $queryRaw: queryRaw } as unknown as PrismaService);
}

describe('HealthService.database', () => {
  it('reports a database that does not answer in time as unhealthy instead of hanging', async () => {
    const result = await serviceOver(() => new Promise(() => undefined)).database(50);
    expect(result).toEqual({
      status: 'unhealthy',
      version: null,
      connection: 'postgresql',
      error: 'The database did not answer within 50 ms',
      timestamp: expect.any(String),
    });
  });

  it('reports a query that does not return 1 as unhealthy', async () => {
    const result = await serviceOver(async () => [{ ok: 0, server_version: '16.4' }]).database();
    expect(result.status).toBe('unhealthy');
    expect(result.error).toBe('The database check failed (Error)');
  });
});

describe('failureReason', () => {
  const driverError = (cause: Record<string, unknown>) =>
    Object.assign(new Error("Raw query failed. Message: `Can't reach database server at db.internal:5432`"), {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
    });

  it.each([
    [
      { kind: 'DatabaseNotReachable', host: 'db.internal', port: 5432 },
      'The database server cannot be reached (DatabaseNotReachable)',
    ],
    [{ kind: 'AuthenticationFailed', user: 'billing' }, 'The database refused the credentials (AuthenticationFailed)'],
    [
      { kind: 'postgres', code: '57P03', message: 'the database system is starting up' },
      'The database answered with an error (SQLSTATE 57P03)',
    ],
    [{ kind: 'GenericJs', id: 1 }, 'The database check failed (PrismaClientKnownRequestError P2010)'],
  ])('names the kind of %j, never the host or user', (cause, reason) => {
    expect(failureReason(driverError(cause))).toBe(reason);
  });
});
