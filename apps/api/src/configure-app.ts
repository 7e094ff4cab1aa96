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
import { RouteTemplates } from '../../../libs/metrics/src/index.js';
import { AppModule } from './app.module.js';

/** Largest JSON body accepted; larger ones get 413. */
export const JSON_BODY_LIMIT = '100kb';

/** Where Swagger UI and the OpenAPI document are served, outside the `api` prefix. */
const DOCUMENTATION_PATHS = { ui: 'docs', json: 'openapi.json', yaml: 'openapi.yaml' } as const;

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
  configureApp(app);
  // Swagger's routes bypass Nest's controllers: named here so the HTTP metrics do not count them as unmatched.
  // (Not in configureApp: the OpenAPI generator runs that in preview mode, where providers are not instantiated.)
  const routes = app.get(RouteTemplates);
  const { ui, json, yaml } = DOCUMENTATION_PATHS;
  for (const path of [ui, `${ui}/*`, json, yaml]) routes.addRoute('GET', `/${path}`);
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
  app.setGlobalPrefix('api', { exclude: ['health', 'metrics'] });
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(new PydanticValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(), new DatabaseExceptionFilter());
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(DOCUMENTATION_PATHS.ui, app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: DOCUMENTATION_PATHS.json,
    yamlDocumentUrl: DOCUMENTATION_PATHS.yaml,
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
