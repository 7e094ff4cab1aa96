import { VersioningType, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { DatabaseExceptionFilter } from '../../../libs/database/src/index.js';
import type { AppConfig } from '../../../libs/config/src/index.js';
import {
  bodyParserErrorHandler,
  HttpExceptionFilter,
  PydanticValidationPipe,
} from '../../../libs/http-errors/src/index.js';
import { AppModule } from './app.module.js';

/** Largest JSON body accepted; larger ones get 413. */
export const JSON_BODY_LIMIT = '100kb';

/** The HTTP service, wired exactly as in production; main.ts and the e2e tests both start it this way. */
export async function createApiApp(
  config: AppConfig,
  options: { logger?: false } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    // Start-up failures (bad database, busy data directory) reach the caller instead of aborting the process.
    abortOnError: false,
    logger: options.logger ?? logLevels(config.logLevel),
  });
  // Which X-Forwarded-For hops request.ip believes (per-address rate limits count request.ip); off by default.
  app.set('trust proxy', config.http.trustProxy);
  configureApp(app);
  return app;
}

function logLevels(level: AppConfig['logLevel']): ('error' | 'warn' | 'log' | 'debug' | 'verbose')[] {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}

/**
 * Everything main.ts sets on the app beyond the module graph. The e2e tests call this same function, so they run
 * the production wiring.
 */
export function configureApp(app: NestExpressApplication): OpenAPIObject {
  app.disable('x-powered-by');
  // strict: false lets a JSON string or number body through to validation, which answers 422 as the reference does.
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT, strict: false });
  // Body-parser failures happen before Nest's filters exist for the request; answer them in the API's shape here.
  app.use(bodyParserErrorHandler);
  app.setGlobalPrefix('api', { exclude: ['health'] });
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(new PydanticValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(), new DatabaseExceptionFilter());
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  return document;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Stripe Subscriptions API')
    .setDescription(
      'Multi-tenant Stripe subscriptions, wire-compatible with the Dev Kit for AI Cloud API payments contract. ' +
        'End users authenticate with a project-scoped bearer JWT.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'HTTPBearer')
    .build();
  return SwaggerModule.createDocument(app, config);
}
