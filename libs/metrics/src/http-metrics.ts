import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { CountedDurations } from './counted-durations.js';
import { MetricsRegistry } from './metrics-registry.js';

/** The route label of a request no route matched (a 404 from the router): a fixed value, never the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * `http_requests_total` and `http_request_duration_seconds` by method, route template and status, for every response
 * Fastify sends: also those produced by guards, pipes, body parsing and the router's 404. Fastify routes before it
 * parses the body, so even a 413 or 422 knows its route; the label is the registered path in the OpenAPI document's
 * `{param}` style, never the raw URL, whose path parameters are ids.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly requests: CountedDurations<'method' | 'route' | 'status'>;
  private readonly rejected: Counter<'status' | 'reason'>;

  constructor(
    registry: MetricsRegistry,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.requests = new CountedDurations(registry, {
      labelNames: ['method', 'route', 'status'],
      counter: { name: 'http_requests_total', help: 'HTTP responses sent, by method, route template and status' },
      histogram: {
        name: 'http_request_duration_seconds',
        help: 'Time from the request reaching the router to the last byte of the response handed to the OS',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      },
    });
    this.rejected = new Counter({
      name: 'http_rejected_requests_total',
      help: 'Requests answered before they could be parsed (400 malformed, 408 too slow, 431 headers too large)',
      labelNames: ['status', 'reason'],
      registers: [registry],
    });
  }

  /** A request Node's parser refused, so no route and no request object ever existed. */
  countRejected(status: number, reason: string): void {
    this.rejected.inc({ status: String(status), reason });
  }

  onModuleInit(): void {
    // Root hooks apply to every route, including those Nest registered before this runs.
    this.adapterHost.httpAdapter?.getInstance<FastifyInstance>().addHook('onResponse', (request, reply, done) => {
      const labels = [request.method, routeLabel(request.routeOptions.url), String(reply.statusCode)];
      this.requests.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}

/** `/api/v1/projects/:project_id` -> `/api/v1/projects/{project_id}`; no route -> `unmatched`. */
function routeLabel(path: string | undefined): string {
  return path === undefined ? UNMATCHED_ROUTE : path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
