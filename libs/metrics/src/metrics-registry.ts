import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * This app's Prometheus registry, with the default process metrics. One per app instance instead of prom-client's
 * global registry, so several apps in one process (the e2e tests) never share or collide on metric names.
 */
@Injectable()
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this });
  }
}
