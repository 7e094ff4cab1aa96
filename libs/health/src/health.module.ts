import { Module } from '@nestjs/common';
import { HealthController, LivenessController } from './health.controller.js';
import { HealthService } from './health.service.js';

/** Liveness (`/health`, `/api/v1/health`) and database readiness (`/api/v1/health/database`); no authentication. */
@Module({
  controllers: [LivenessController, HealthController],
  providers: [HealthService],
})
export class HealthModule {}
