import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health-indicator.js';
import { HealthController, LivenessController } from './health.controller.js';
import { HealthService } from './health.service.js';

/**
 * Liveness (`/health`, `/api/v1/health`) and database readiness (`/api/v1/health/database`) on terminus; no
 * authentication. Terminus's own failure log is off: the indicator logs one line with the reason instead.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [LivenessController, HealthController],
  providers: [HealthService, DatabaseHealthIndicator],
})
export class HealthModule {}
