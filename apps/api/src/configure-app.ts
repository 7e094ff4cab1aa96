import { VersioningType, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { DatabaseExceptionFilter } from '../../../libs/database/src/index.js';
import { HttpExceptionFilter, PydanticValidationPipe } from '../../../libs/http-errors/src/index.js';

/** Largest JSON body accepted; larger ones get 413. */
export const JSON_BODY_LIMIT = '100kb';

/**
 * Everything main.ts sets on the app beyond the module graph. The e2e tests call this same function, so they run
 * the production wiring.
 */
export function configureApp(app: NestExpressApplication): OpenAPIObject {
  app.disable('x-powered-by');
  // strict: false lets a JSON string or number body through to validation, which answers 422 as the reference does.
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT, strict: false });
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(new PydanticValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(), new DatabaseExceptionFilter());
  app.enableShutdownHooks();
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
