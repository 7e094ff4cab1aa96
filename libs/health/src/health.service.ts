import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import { AppConfig } from '#libs/config';
import {
  DATABASE_HEALTH_TIMEOUT_MS,
  DATABASE_KEY,
  DatabaseHealthIndicator,
  type DatabaseCheck,
  type DatabaseConnectionKind,
} from './database.health-indicator.js';
import type { DatabaseHealthResponse, HealthCheckResponse } from './health.dto.js';

export const LIVENESS_NOTE = 'Liveness only: the database is checked by GET /api/v1/health/database';

export const SHUTTING_DOWN = 'The service is shutting down';

/**
 * Runs the checks with terminus and answers in the reference API's shapes (terminus's own `{status, info, error,
 * details}` is not what the contract's clients read).
 */
@Injectable()
export class HealthService {
  private readonly version = serviceVersion();

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly config: AppConfig,
  ) {}

  /** Liveness: no indicator, so nothing here touches the database or Redis; only a shutdown makes it unhealthy. */
  async liveness(): Promise<HealthCheckResponse> {
    const redisConfigured = this.config.rateLimit.redisUrl !== undefined;
    return toLivenessResponse(await this.check([]), this.database.connection, this.version, redisConfigured);
  }

  /** Readiness: the database indicator, a real query with a timeout. */
  async readiness(timeoutMs = DATABASE_HEALTH_TIMEOUT_MS): Promise<DatabaseHealthResponse> {
    return toDatabaseResponse(await this.check([() => this.database.isHealthy(timeoutMs)]), this.database.connection);
  }

  /** Terminus throws a 503 carrying the result when a check is down or the app is shutting down; both are answers. */
  private async check(indicators: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(indicators);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
      throw error;
    }
  }
}

/** `redisConfigured`: REDIS_URL is set; Redis then holds the rate-limit counters, which fail open, so is not checked. */
export function toLivenessResponse(
  result: HealthCheckResult,
  connection: DatabaseConnectionKind,
  version: string | null,
  redisConfigured: boolean,
): HealthCheckResponse {
  const shuttingDown = result.status === 'shutting_down';
  return {
    status: shuttingDown ? 'unhealthy' : 'healthy',
    database: { status: 'not_checked', connection, readiness: '/api/v1/health/database' },
    file_storage: { status: 'not_used' },
    redis: { status: redisConfigured ? 'not_checked' : 'not_used' },
    timestamp: new Date().toISOString(),
    version,
    note: LIVENESS_NOTE,
    error: shuttingDown ? SHUTTING_DOWN : null,
  };
}

export function toDatabaseResponse(
  result: HealthCheckResult,
  connection: DatabaseConnectionKind,
): DatabaseHealthResponse {
  const check = result.details[DATABASE_KEY] as DatabaseCheck | undefined;
  const timestamp = new Date().toISOString();
  if (result.status === 'ok' && check?.status === 'up') {
    return { status: 'healthy', version: check.version, connection: check.connection, error: null, timestamp };
  }
  const error =
    result.status === 'shutting_down'
      ? SHUTTING_DOWN
      : check?.status === 'down'
        ? check.error
        : 'The database check did not run';
  return { status: 'unhealthy', version: null, connection: check?.connection ?? connection, error, timestamp };
}

/** The version in the service's package.json, found from this file so it works from src (tests) and dist. */
function serviceVersion(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
