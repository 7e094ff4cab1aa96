import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig, environmentSchema } from '#libs/config';
import { PrismaService } from '#libs/database';
import { DatabaseHealthIndicator } from './database.health-indicator.js';
import { HealthService, LIVENESS_NOTE, SHUTTING_DOWN } from './health.service.js';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** HealthService on real terminus; only the database driver is a stand-in that answers `rows` or fails. */
async function healthContext(
  query: () => Promise<unknown>,
  env: Record<string, string> = {},
): Promise<INestApplicationContext> {
  const config = new AppConfig(
    environmentSchema.parse({
      SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      DATABASE_URL: 'postgresql://app@db.internal:5432/app',
      ...env,
    }),
  );
  @Module({
    imports: [TerminusModule.forRoot({ logger: false })],
    providers: [
      HealthService,
      DatabaseHealthIndicator,
      { provide: AppConfig, useValue: config },
      { provide: PrismaService, useValue: { databaseKind: 'postgres', $queryRaw: query } },
    ],
  })
  class HealthTestModule {}
  return NestFactory.createApplicationContext(HealthTestModule, { logger: false });
}

describe('HealthService', () => {
  let context: INestApplicationContext;

  afterEach(() => context?.close());

  it('answers readiness in the reference shape, not terminus’s {status, info, error, details}', async () => {
    context = await healthContext(async () => [{ ok: 1, server_version: '16.4' }]);
    expect(await context.get(HealthService).readiness()).toEqual({
      status: 'healthy',
      version: 'PostgreSQL 16.4',
      connection: 'postgresql',
      error: null,
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
    });
  });

  it('turns terminus’s 503 for a down database into the unhealthy body with the reason', async () => {
    context = await healthContext(() => Promise.reject(new Error('boom')));
    expect(await context.get(HealthService).readiness()).toEqual({
      status: 'unhealthy',
      version: null,
      connection: 'postgresql',
      error: 'The database check failed (Error)',
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
    });
  });

  it('answers liveness without querying the database', async () => {
    let queries = 0;
    context = await healthContext(async () => {
      queries += 1;
      return [];
    });
    const body = await context.get(HealthService).liveness();
    expect(body).toMatchObject({ status: 'healthy', note: LIVENESS_NOTE, error: null });
    expect(body.database).toEqual({
      status: 'not_checked',
      connection: 'postgresql',
      readiness: '/api/v1/health/database',
    });
    expect(queries).toBe(0);
    expect(body.redis).toEqual({ status: 'not_used' });
  });

  it('reports Redis as not checked when REDIS_URL is set (only rate-limit counters, which fail open)', async () => {
    context = await healthContext(async () => [], { REDIS_URL: 'redis://cache.internal:6379' });
    const body = await context.get(HealthService).liveness();
    expect(body).toMatchObject({ status: 'healthy', redis: { status: 'not_checked' }, error: null });
  });

  it('reports both checks unhealthy once the application is shutting down, even with the database up', async () => {
    const closing = await healthContext(async () => [{ ok: 1, server_version: '16.4' }]);
    const health = closing.get(HealthService);
    await closing.close();
    expect(await health.readiness()).toEqual({
      status: 'unhealthy',
      version: null,
      connection: 'postgresql',
      error: SHUTTING_DOWN,
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
    });
    expect(await health.liveness()).toMatchObject({ status: 'unhealthy', error: SHUTTING_DOWN });
  });
});
