import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry.js';

/** The route label of a request no route matched (a 404 from the router): a fixed value, never the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

interface Series {
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * `http_requests_total` and `http_request_duration_seconds` by method, route template and status, for every response
 * Fastify sends: also those produced by guards, pipes, body parsing and the router's 404. Fastify routes before it
 * parses the body, so even a 413 or 422 knows its route; the label is the registered path in the OpenAPI document's
 * `{param}` style, never the raw URL, whose path parameters are ids.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  /** registered path -> method -> status -> bound children, so a request allocates no label objects. */
  private readonly series = new Map<string | undefined, Map<string, Map<number, Series>>>();

  constructor(
    registry: MetricsRegistry,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const labelNames = ['method', 'route', 'status'] as const;
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP responses sent, by method, route template and status',
      labelNames,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request reaching the router to the last byte of the response handed to the OS',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  onModuleInit(): void {
    // Root hooks apply to every route, including those Nest registered before this runs.
    this.adapterHost.httpAdapter?.getInstance<FastifyInstance>().addHook('onResponse', (request, reply, done) => {
      const series = this.seriesFor(request.routeOptions.url, request.method, reply.statusCode);
      series.requests.inc();
      series.duration.observe(reply.elapsedTime / 1000);
      done();
    });
  }

  private seriesFor(path: string | undefined, method: string, status: number): Series {
    let byMethod = this.series.get(path);
    if (!byMethod) this.series.set(path, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      const labels = [method, routeLabel(path), String(status)] as const;
      series = { requests: this.requests.labels(...labels), duration: this.duration.labels(...labels) };
      byStatus.set(status, series);
    }
    return series;
  }
}

/** `/api/v1/projects/:project_id` -> `/api/v1/projects/{project_id}`; no route -> `unmatched`. */
export function routeLabel(path: string | undefined): string {
  return path === undefined ? UNMATCHED_ROUTE : path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
