import { Controller, Get, Header, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DatabaseHealthResponse, HealthCheckResponse } from './health.dto.js';
import { HealthService, LIVENESS_NOTE, SHUTTING_DOWN } from './health.service.js';

/** Seconds a load balancer should wait before asking an unready instance again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const LIVENESS_EXAMPLE: HealthCheckResponse = {
  status: 'healthy',
  database: { status: 'not_checked', connection: 'postgresql', readiness: '/api/v1/health/database' },
  file_storage: { status: 'not_used' },
  redis: { status: 'not_used' },
  timestamp: '2026-11-25T12:00:00.000Z',
  version: '0.1.0',
  note: LIVENESS_NOTE,
  error: null,
};

const LIVENESS_DESCRIPTION =
  'Liveness: 200 whenever the process serves HTTP (503 only once it is shutting down). It never touches the ' +
  'database, so a database outage does not get the service restarted; use GET /api/v1/health/database for readiness.';

const SHUTTING_DOWN_RESPONSE = {
  description: 'The service is shutting down: the same body with `status: unhealthy` and the reason in `error`.',
  example: { ...LIVENESS_EXAMPLE, status: 'unhealthy', error: SHUTTING_DOWN } satisfies HealthCheckResponse,
};

/**
 * `GET /health`, outside the `api` prefix: configureApp excludes the path `health` from it. Version-neutral, so the
 * URI versioning adds no `/v1` either.
 */
@ApiTags('Health')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class LivenessController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'healthCheck', summary: 'Health Check', description: LIVENESS_DESCRIPTION })
  @ApiOkResponse({
    description: 'The service is alive; the body is the same HealthCheckResponse as GET /api/v1/health.',
    // The reference leaves this response untyped; the example shows what it carries.
    schema: { type: 'object', additionalProperties: true },
    example: LIVENESS_EXAMPLE,
  })
  @ApiServiceUnavailableResponse({ ...SHUTTING_DOWN_RESPONSE, schema: { type: 'object', additionalProperties: true } })
  async healthCheck(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResponse> {
    return answer(reply, await this.health.liveness());
  }
}

/**
 * `GET /api/v1/health` and `/api/v1/health/database`. The version is part of the path instead of `version: '1'`:
 * the prefix exclusion for `health` is matched with the URI version stripped, so a versioned `health` controller
 * would be served at `/v1/health`, outside `/api`.
 */
@ApiTags('Health')
@Controller('v1/health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'apiHealthCheck', summary: 'Health Check', description: LIVENESS_DESCRIPTION })
  @ApiOkResponse({ type: HealthCheckResponse, description: 'The service is alive.', example: LIVENESS_EXAMPLE })
  @ApiServiceUnavailableResponse({ ...SHUTTING_DOWN_RESPONSE, type: HealthCheckResponse })
  async apiHealthCheck(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResponse> {
    return answer(reply, await this.health.liveness());
  }

  @Get('database')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'databaseHealthCheck',
    summary: 'Database Health Check',
    description:
      'Readiness: runs `SELECT 1` on the database the service uses (PostgreSQL or embedded PGlite), through the ' +
      'same connection pool as the API. 200 when it answers; 503 with the same body shape, `status: unhealthy` ' +
      'and the reason in `error` when it fails or does not answer within 5 seconds, or the service is shutting down.',
  })
  @ApiOkResponse({
    type: DatabaseHealthResponse,
    description: 'The database answered.',
    example: {
      status: 'healthy',
      version: 'PostgreSQL 16.4',
      connection: 'postgresql',
      error: null,
      timestamp: '2026-11-25T12:00:00.000Z',
    } satisfies DatabaseHealthResponse,
  })
  @ApiServiceUnavailableResponse({
    type: DatabaseHealthResponse,
    description: `The database cannot be reached, refused the query or did not answer in time, or the service is shutting down. Retry-After: ${DATABASE_RETRY_AFTER_SECONDS}.`,
    headers: { 'Retry-After': { description: 'Seconds to wait before checking again', schema: { type: 'integer' } } },
    example: {
      status: 'unhealthy',
      version: null,
      connection: 'postgresql',
      error: 'The database server cannot be reached (DatabaseNotReachable)',
      timestamp: '2026-11-25T12:00:00.000Z',
    } satisfies DatabaseHealthResponse,
  })
  async databaseHealthCheck(@Res({ passthrough: true }) reply: FastifyReply): Promise<DatabaseHealthResponse> {
    const result = await this.health.readiness();
    if (result.status !== 'healthy') reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    return answer(reply, result);
  }
}

/** 503 for an unhealthy answer, with the body unchanged. */
function answer<T extends { status: string }>(reply: FastifyReply, body: T): T {
  if (body.status !== 'healthy') reply.status(503);
  return body;
}
