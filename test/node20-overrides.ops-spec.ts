import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTypeValidator } from '@nestjs/common';
import fastifyStatic from '@fastify/static';
import fastify from 'fastify';

type UploadedFile = Parameters<FileTypeValidator['isValid']>[0];

/**
 * package.json#overrides replaces three dependencies that declare Node 22 by the Node 20 releases of the same API
 * (README, Quick start). Each is exercised here the way its dependent calls it.
 */
describe('Node 20 overrides, through the packages that use them', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'overrides-'));
    writeFileSync(join(dir, 'report 2026.csv'), 'a,b\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('content-disposition 2: @fastify/static names a download (create)', async () => {
    const app = fastify();
    await app.register(fastifyStatic, { root: dir, serve: false });
    app.get('/export', (_request, reply) => reply.download('report 2026.csv'));
    const response = await app.inject({ method: 'GET', url: '/export' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe('attachment; filename="report 2026.csv"');
    expect(response.body).toBe('a,b\n');
    await app.close();
  });

  it("cookie 1: light-my-request (fastify's inject) sends the given cookies (stringifySetCookie)", async () => {
    const app = fastify();
    app.get('/', (request) => ({ cookie: request.headers.cookie }));
    const response = await app.inject({ method: 'GET', url: '/', cookies: { session: 'a b', theme: 'dark' } });
    expect(response.json()).toEqual({ cookie: 'session=a%20b; theme=dark' });
    await app.close();
  });

  it("file-type 21: Nest's FileTypeValidator detects a file's type from its bytes (fileTypeFromBuffer)", async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    const validator = new FileTypeValidator({ fileType: 'image/png' });
    expect(await validator.isValid({ mimetype: 'image/png', buffer: png } as UploadedFile)).toBe(true);
    const text = Buffer.from('not an image, whatever its name says');
    expect(await validator.isValid({ mimetype: 'image/png', buffer: text } as UploadedFile)).toBe(false);
  });
});
