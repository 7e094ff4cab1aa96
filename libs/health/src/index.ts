export { DatabaseHealthResponse, HealthCheckResponse } from './health.dto.js';
export { DATABASE_RETRY_AFTER_SECONDS, HealthController, LivenessController } from './health.controller.js';
export { DATABASE_HEALTH_TIMEOUT_MS, failureReason, HealthService, LIVENESS_NOTE } from './health.service.js';
export { HealthModule } from './health.module.js';
