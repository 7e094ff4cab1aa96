import { HealthIndicatorService } from '@nestjs/terminus';
import type { PrismaService } from '#libs/database';
import { DatabaseHealthIndicator, failureReason } from './database.health-indicator.js';

// A stand-in for the database driver only: the hanging and wrong answers a real server is hard to produce on demand.
function indicatorOver(queryRaw: () => Promise<unknown>): DatabaseHealthIndicator {
  const prisma = { databaseKind: 'postgres', $queryRaw: queryRaw } as unknown as PrismaService;
  return new DatabaseHealthIndicator(new HealthIndicatorService(), prisma);
}

describe('DatabaseHealthIndicator', () => {
  it('reports the server version when SELECT 1 answers', async () => {
    const result = await indicatorOver(async () => [{ ok: 1, server_version: '16.4' }]).isHealthy();
    expect(result).toEqual({ database: { status: 'up', connection: 'postgresql', version: 'PostgreSQL 16.4' } });
  });

  it('reports a database that does not answer in time as down instead of hanging', async () => {
    const result = await indicatorOver(() => new Promise(() => undefined)).isHealthy(50);
    expect(result).toEqual({
      database: { status: 'down', connection: 'postgresql', error: 'The database did not answer within 50 ms' },
    });
  });

  it('reports a query that does not return 1 as down', async () => {
    const result = await indicatorOver(async () => [{ ok: 0, server_version: '16.4' }]).isHealthy();
    expect(result).toEqual({
      database: { status: 'down', connection: 'postgresql', error: 'The database check failed (Error)' },
    });
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
