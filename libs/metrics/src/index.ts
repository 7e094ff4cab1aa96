export { CountedDurations } from './counted-durations.js';
export { HttpMetrics, UNMATCHED_ROUTE } from './http-metrics.js';
export { MetricsController } from './metrics.controller.js';
export { MetricsRegistry } from './metrics-registry.js';
export { MetricsModule } from './metrics.module.js';
