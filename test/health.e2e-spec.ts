import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { LIVENESS_NOTE } from '#libs/health';
import { startTestApp, type TestApp } from './support/test-app.js';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function livenessBody(connection: 'postgresql' | 'pglite') {
  return {
    status: 'healthy',
    database: { status: 'not_checked', connection, readiness: '/api/v1/health/database' },
    file_storage: { status: 'not_used' },
    redis: { status: 'not_used' },
    timestamp: expect.stringMatching(ISO_TIMESTAMP),
    version: VERSION,
    note: LIVENESS_NOTE,
    error: null,
  };
}

function expectRecent(timestamp: string): void {
  expect(Math.abs(Date.now() - Date.parse(timestamp))).toBeLessThan(60_000);
}

/** A loopback port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('health endpoints', () => {
  let testApp: TestApp;
  const connection = process.env.DATABASE_URL ? 'postgresql' : 'pglite';

  beforeAll(async () => {
    testApp = await startTestApp();
  });

  afterAll(() => testApp?.close());

  const http = () => request(testApp.app.getHttpServer());

  it.each(['/health', '/api/v1/health'])('GET %s answers 200 with the liveness body, without a token', async (path) => {
    const response = await http()
      .get(path)
      .expect(200)
      .expect('Content-Type', /application\/json/);
    expect(response.body).toEqual(livenessBody(connection));
    expectRecent(response.body.timestamp);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('GET /api/v1/health/database runs SELECT 1 and answers 200 with the server version', async () => {
    const [{ server_version }] = await testApp.app.get(PrismaService).$queryRaw<
      { server_version: string }[]
    >`SELECT current_setting('server_version') AS server_version`;
    const response = await http().get('/api/v1/health/database').expect(200);
    expect(response.body).toEqual({
      status: 'healthy',
      version: `PostgreSQL ${server_version}`,
      connection,
      error: null,
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
    });
    expectRecent(response.body.timestamp);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it.each(['/api/health', '/v1/health', '/health/database', '/api/health/database'])(
    'serves nothing at %s',
    async (path) => {
      await http().get(path).expect(404);
    },
  );

  it('documents the three operations under the Health tag', async () => {
    const { body } = await http().get('/openapi.json').expect(200);
    const operations = ['/health', '/api/v1/health', '/api/v1/health/database'].map((path) => {
      const { operationId, tags, security } = body.paths[path].get;
      return { path, operationId, tags, security };
    });
    expect(operations).toEqual([
      { path: '/health', operationId: 'healthCheck', tags: ['Health'], security: undefined },
      { path: '/api/v1/health', operationId: 'apiHealthCheck', tags: ['Health'], security: undefined },
      { path: '/api/v1/health/database', operationId: 'databaseHealthCheck', tags: ['Health'], security: undefined },
    ]);
    expect(Object.keys(body.paths['/api/v1/health/database'].get.responses)).toEqual(['200', '503']);
  });
});

describe('health endpoints when the database cannot be reached', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    const port = await closedPort();
    testApp = await startTestApp({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/none`,
      MIGRATE_ON_START: 'false',
    });
  });

  afterAll(() => testApp?.close());

  const http = () => request(testApp.app.getHttpServer());

  it('GET /api/v1/health/database answers 503 with the documented body and Retry-After', async () => {
    const response = await http().get('/api/v1/health/database').expect(503);
    expect(response.body).toEqual({
      status: 'unhealthy',
      version: null,
      connection: 'postgresql',
      error: 'The database server cannot be reached (DatabaseNotReachable)',
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
    });
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|postgres@/);
  });

  it.each(['/health', '/api/v1/health'])(
    'GET %s still answers 200: liveness never queries the database',
    async (path) => {
      const response = await http().get(path).expect(200);
      expect(response.body).toEqual(livenessBody('postgresql'));
    },
  );
});
