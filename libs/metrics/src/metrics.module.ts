import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry } from './metrics-registry.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/**
 * Prometheus metrics: this app's registry (global, so any module can register its own metrics on it), the HTTP
 * request metrics and `GET /metrics`.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics, MetricsTokenGuard],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
