import { ApiProperty } from '@nestjs/swagger';

const TIMESTAMP_EXAMPLE = '2026-11-25T12:00:00.000Z';

/** The reference API's HealthCheckResponse; here a liveness answer: the process serves HTTP, nothing more. */
export class HealthCheckResponse {
  @ApiProperty({
    type: 'string',
    title: 'Status',
    description:
      '`healthy` whenever the service answers at all (liveness); `unhealthy` (HTTP 503) once it is shutting down.',
    example: 'healthy',
  })
  status: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    title: 'Database',
    description:
      'Not checked by this endpoint (`status: not_checked`); `readiness` names the endpoint that runs a query.',
    example: { status: 'not_checked', connection: 'postgresql', readiness: '/api/v1/health/database' },
  })
  database: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    title: 'File Storage',
    description: 'This service stores no files: always `{"status": "not_used"}`.',
    example: { status: 'not_used' },
  })
  file_storage: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    title: 'Redis',
    description:
      'Not checked: Redis holds only the rate-limit counters (when `REDIS_URL` is set), and a Redis outage never ' +
      'fails a request (counting falls back to this process). `{"status": "not_checked"}` with `REDIS_URL`, ' +
      '`{"status": "not_used"}` without.',
    example: { status: 'not_used' },
  })
  redis: Record<string, unknown>;

  @ApiProperty({
    type: 'string',
    title: 'Timestamp',
    description: 'When the answer was made (ISO 8601, UTC).',
    example: TIMESTAMP_EXAMPLE,
  })
  timestamp: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Version',
    description: 'The service version.',
    example: '0.1.0',
  })
  version: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Note',
    description: 'What this check covers.',
    example: 'Liveness only: the database is checked by GET /api/v1/health/database',
  })
  note: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Error',
    description: '`null`, or why the service is unhealthy (it is shutting down).',
    example: null,
  })
  error: string | null;
}

/** The reference API's DatabaseHealthResponse: the outcome of one `SELECT 1` on the service's database. */
export class DatabaseHealthResponse {
  @ApiProperty({
    type: 'string',
    title: 'Status',
    description:
      '`healthy` when the query answered, `unhealthy` (with HTTP 503) when it failed or timed out, or the service is shutting down.',
    enum: ['healthy', 'unhealthy'],
    example: 'healthy',
  })
  status: 'healthy' | 'unhealthy';

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Version',
    description: "The database server's version (`null` when it could not be reached).",
    example: 'PostgreSQL 16.4',
  })
  version: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Connection',
    description: 'Which database was checked: `postgresql` (DATABASE_URL) or `pglite` (embedded).',
    enum: ['postgresql', 'pglite'],
    example: 'postgresql',
  })
  connection: 'postgresql' | 'pglite' | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Error',
    description:
      'Why the check failed (`null` when healthy). Names the kind of failure only, never hosts or credentials.',
    example: null,
  })
  error: string | null;

  @ApiProperty({
    type: 'string',
    title: 'Timestamp',
    description: 'When the check was made (ISO 8601, UTC).',
    example: TIMESTAMP_EXAMPLE,
  })
  timestamp: string;
}
