import { Body, Controller, Get, Module, Param, Post, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { httpAdapter } from '../../../apps/api/src/configure-app.js';
import request from 'supertest';
import { AppConfig, ConfigModule, environmentSchema } from '#libs/config';
import { MetricsModule } from './metrics.module.js';
import { MetricsRegistry } from './metrics-registry.js';

@Controller({ path: 'items', version: '1' })
class ItemsController {
  @Get(':item_id')
  one(@Param('item_id') id: string) {
    return { handler: 'one', id };
  }

  @Get(['alias/first', 'alias/second'])
  aliased() {
    return { handler: 'aliased' };
  }

  @Post()
  create(@Body() body: unknown) {
    return body;
  }
}

@Controller('status')
class StatusController {
  @Get()
  status() {
    return { ok: true };
  }
}

async function startApp(): Promise<NestFastifyApplication> {
  const config = new AppConfig(
    environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') }),
  );
  @Module({
    imports: [ConfigModule.forRoot(config), MetricsModule],
    controllers: [ItemsController, StatusController],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, httpAdapter(), { logger: false });
  app.setGlobalPrefix('api', { exclude: ['status', 'metrics'] });
  app.enableVersioning({ type: VersioningType.URI });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('HTTP metrics', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApp();
  });

  afterAll(() => app?.close());

  const counts = async (): Promise<string[]> => {
    const text = await app.get(MetricsRegistry).getSingleMetricAsString('http_requests_total');
    return text
      .split('\n')
      .filter((line) => !line.startsWith('#') && line !== '')
      .sort();
  };

  it('labels each response with its route template: prefix, URI version, aliases, HEAD, unmatched', async () => {
    const server = app.getHttpServer();
    await request(server).get('/api/v1/items/4711').expect(200, { handler: 'one', id: '4711' });
    await request(server).get('/api/v1/items/4712/').expect(200, { handler: 'one', id: '4712' });
    await request(server).get('/api/v1/items/alias/second').expect(200, { handler: 'aliased' });
    await request(server).get('/API/V1/ITEMS/alias/first').expect(200, { handler: 'aliased' });
    await request(server).head('/status').expect(200);
    await request(server).get('/api/v1/status').expect(404);
    await request(server).get('/api/v1/items/4711/more').expect(404);
    await request(server).post('/api/v1/items').send({ name: 'x' }).expect(201);
    await request(server).post('/api/v1/items').set('Content-Type', 'application/json').send('{"name":').expect(400);

    expect(await counts()).toEqual(
      [
        'http_requests_total{method="GET",route="/api/v1/items/{item_id}",status="200"} 2',
        'http_requests_total{method="GET",route="/api/v1/items/alias/first",status="200"} 1',
        'http_requests_total{method="GET",route="/api/v1/items/alias/second",status="200"} 1',
        'http_requests_total{method="HEAD",route="/status",status="200"} 1',
        'http_requests_total{method="GET",route="unmatched",status="404"} 2',
        'http_requests_total{method="POST",route="/api/v1/items",status="201"} 1',
        // Refused by the body parser, which Fastify runs after routing: the route is known.
        'http_requests_total{method="POST",route="/api/v1/items",status="400"} 1',
      ].sort(),
    );
  });
});
