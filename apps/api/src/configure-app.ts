import { VersioningType, type ContentSecurityPolicyOptions, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { DatabaseExceptionFilter } from '#libs/database';
import type { AppConfig } from '#libs/config';
import { createAppLogger, PinoNestLogger, registerRequestLogging, requestIdOf } from '#libs/logging';
import { HttpMetrics } from '#libs/metrics';
import { WEBHOOK_RAW_BODY_ROUTE } from '#libs/stripe-webhooks';
import {
  DomainErrorFilter,
  HttpExceptionFilter,
  PydanticValidationPipe,
  registerJsonBodyParser,
} from '#libs/http-errors';
import { AppModule } from './app.module.js';
import { httpServerLimits, limitConnections } from './http-server-limits.js';

/** Largest JSON body accepted, in bytes (100 KB); larger ones get 413. */
export const JSON_BODY_LIMIT = 102_400;

/** Where Swagger UI and the OpenAPI document are served, outside the `api` prefix. */
const DOCUMENTATION_PATHS = { ui: 'docs', json: 'openapi.json', yaml: 'openapi.yaml' } as const;

/**
 * The HTTP service, wired exactly as in production; main.ts and the e2e tests both start it this way. Logs are JSON
 * lines on `logDestination` (stdout by default); `logger: false` silences them.
 */
export async function createApiApp(
  config: AppConfig,
  options: { logger?: false; logDestination?: DestinationStream } = {},
): Promise<NestFastifyApplication> {
  const logger = createAppLogger(options.logger === false ? 'silent' : config.logLevel, options.logDestination);
  // Fastify, not Express: measured 1.8x the throughput of Express under Nest on this endpoint (bench/README.md).
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), httpAdapter(config), {
    bodyParser: false,
    // Start-up failures (bad database, busy data directory) reach the caller instead of aborting the process.
    abortOnError: false,
    logger: new PinoNestLogger(logger),
  });
  registerRequestLogging(app.getHttpAdapter().getInstance(), logger);
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  }
  configureApp(app, config);
  return app;
}

/** Response headers a browser client may read. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * Express's routing semantics the API was specified with (case-insensitive paths, a trailing slash ignored), the
 * trusted proxies, and the request id: the caller's X-Request-Id when it is a plain token.
 */
export function httpAdapter(config?: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    // Which X-Forwarded-For hops request.ip believes (per-address rate limits count request.ip); off by default.
    trustProxy: fastifyTrustProxy(config?.http.trustProxy ?? false),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    genReqId: requestIdOf,
    requestIdHeader: false,
    ...httpServerLimits(config),
  });
}

/**
 * Everything main.ts sets on the app beyond the module graph. The e2e tests call this same function, so they run
 * the production wiring.
 */
export function configureApp(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  // helmet 8's defaults (HSTS, nosniff, frame-ancestors, CSP...), set once per response by Nest's own hook.
  app.useSecurityHeaders({ contentSecurityPolicy: contentSecurityPolicy(config) });
  registerJsonBodyParser(app.getHttpAdapter().getInstance(), JSON_BODY_LIMIT, [WEBHOOK_RAW_BODY_ROUTE]);
  app.setGlobalPrefix('api', { exclude: ['health', 'metrics'] });
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(new PydanticValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(), new DatabaseExceptionFilter(), new DomainErrorFilter());
  const metrics = app.get(HttpMetrics);
  limitConnections(app.getHttpAdapter().getInstance(), config.http.maxConnections, (status, reason) =>
    metrics.countRejected(status, reason),
  );
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(DOCUMENTATION_PATHS.ui, app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: DOCUMENTATION_PATHS.json,
    yamlDocumentUrl: DOCUMENTATION_PATHS.yaml,
  });
  return document;
}

/**
 * helmet's default policy, with `upgrade-insecure-requests` only when browsers come over https: on plain http from
 * any address but localhost it sends them to https for Swagger UI's scripts, and the page stays blank.
 */
export function contentSecurityPolicy(config: AppConfig): ContentSecurityPolicyOptions {
  return { directives: { upgradeInsecureRequests: config.http.behindTls } };
}

/** Shown in the document's description and in Swagger UI's Authorize dialog. */
const HOW_TO_GET_A_TOKEN =
  "Tokens are JWTs signed with the service's `JWT_SECRET` (or its development secret). From the repository where " +
  'the service runs, `npm run -s cli -- token mint --user <uuid>` mints a developer token (no project) and ' +
  '`npm run -s cli -- token mint --user <uuid> --project <uuid>` an end-user token of that project. Paste the ' +
  'token alone, without `Bearer `.';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Stripe Subscriptions API')
    .setDescription(
      'Multi-tenant Stripe subscriptions, wire-compatible with the Dev Kit for AI Cloud API payments contract. ' +
        'End users authenticate with a project-scoped bearer JWT, developers (who own projects) with one without a ' +
        `project. ${HOW_TO_GET_A_TOKEN}`,
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: HOW_TO_GET_A_TOKEN },
      'HTTPBearer',
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** A hop count as Fastify's trust function (its typings take no number); addresses and ranges as they are. */
function fastifyTrustProxy(
  trust: AppConfig['http']['trustProxy'],
): boolean | string[] | ((_: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}
