export { DATABASE_HEALTH_TIMEOUT_MS, DatabaseHealthIndicator, failureReason } from './database.health-indicator.js';
export { DatabaseHealthResponse, HealthCheckResponse } from './health.dto.js';
export { DATABASE_RETRY_AFTER_SECONDS, HealthController, LivenessController } from './health.controller.js';
export {
  HealthService,
  LIVENESS_NOTE,
  SHUTTING_DOWN,
  toDatabaseResponse,
  toLivenessResponse,
} from './health.service.js';
export { HealthModule } from './health.module.js';
