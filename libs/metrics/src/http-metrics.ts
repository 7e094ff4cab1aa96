import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry.js';
import { RouteTemplates } from './route-templates.js';

/** The route label of a request no route matched (a 404 from the router): a fixed value, never the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

const ROUTE = Symbol('http-metrics.route');
const STARTED_AT = Symbol('http-metrics.started-at');
const REQUEST_URL = Symbol('http-metrics.url');

/** The raw Node response, with what the metrics note on it while the request runs. */
type InstrumentedResponse = ServerResponse & {
  [ROUTE]?: string;
  [STARTED_AT]: number;
  [REQUEST_URL]: string | undefined;
};

interface Series {
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * `http_requests_total` and `http_request_duration_seconds` by method, route template and status, for every response
 * the HTTP server sends: also those produced by guards, pipes, body parsing and the router's 404. It listens on the
 * raw Node server (first `request` listener, the response's `finish`), so it depends on no HTTP platform.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  /** route -> method -> status -> bound children, so a request allocates no label objects. */
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();
  private readonly onRequest: (request: IncomingMessage, response: ServerResponse) => void;
  private server: Server | undefined;

  constructor(
    registry: MetricsRegistry,
    private readonly routes: RouteTemplates,
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
      help: 'Time from the request reaching the server to the last byte of the response handed to the OS',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    // One listener function for all responses: `finish` calls it with `this` bound to the response.
    const record = (response: InstrumentedResponse) => this.record(response);
    function onFinish(this: InstrumentedResponse): void {
      record(this);
    }
    this.onRequest = (request, response) => {
      const instrumented = response as InstrumentedResponse;
      instrumented[STARTED_AT] = performance.now();
      // Routers may rewrite request.url while routing; the original is what a route template is matched against.
      instrumented[REQUEST_URL] = request.url;
      response.on('finish', onFinish);
    };
  }

  onModuleInit(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    // First listener: the clock starts before the platform (Express, Fastify) sees the request.
    this.server?.prependListener('request', this.onRequest);
  }

  onApplicationShutdown(): void {
    this.server?.removeListener('request', this.onRequest);
  }

  private record(response: InstrumentedResponse): void {
    const seconds = (performance.now() - response[STARTED_AT]) / 1000;
    const method = response.req.method ?? 'UNKNOWN';
    const route = response[ROUTE] ?? this.routes.match(method, response[REQUEST_URL] ?? '/') ?? UNMATCHED_ROUTE;
    const series = this.seriesFor(route, method, response.statusCode);
    series.requests.inc();
    series.duration.observe(seconds);
  }

  private seriesFor(route: string, method: string, status: number): Series {
    let byMethod = this.series.get(route);
    if (!byMethod) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      const labels = [method, route, String(status)] as const;
      series = { requests: this.requests.labels(...labels), duration: this.duration.labels(...labels) };
      byStatus.set(status, series);
    }
    return series;
  }
}

/**
 * Notes the route template on a response, once the route is known. `response` is what Nest hands a guard: the raw
 * Node response (Express) or a reply wrapping it in `raw` (Fastify).
 */
export function labelRoute(response: object, route: string): void {
  const raw = (response as { raw?: object }).raw ?? response;
  (raw as InstrumentedResponse)[ROUTE] = route;
}
