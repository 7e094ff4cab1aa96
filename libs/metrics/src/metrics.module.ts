import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry } from './metrics-registry.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { RouteLabelGuard } from './route-label.guard.js';
import { RouteTemplates } from './route-templates.js';

/**
 * Prometheus metrics: this app's registry (global, so any module can register its own metrics on it), the HTTP
 * request metrics and `GET /metrics`.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [MetricsController],
  providers: [
    MetricsRegistry,
    RouteTemplates,
    HttpMetrics,
    MetricsTokenGuard,
    { provide: APP_GUARD, useClass: RouteLabelGuard },
  ],
  exports: [MetricsRegistry, RouteTemplates],
})
export class MetricsModule {}
