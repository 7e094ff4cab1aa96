import type { ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '#libs/config';

/** How often Node looks for requests past their deadline (its default, 30 s, would let one overstay by that much). */
const DEADLINE_CHECK_INTERVAL_MS = 1000;

/** What a request that could not be read at all is told; none of it repeats what the client sent. */
const CLIENT_ERRORS: Record<string, { status: number; detail: string; reason: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    detail: 'The request did not arrive in time; send headers and body without pausing',
    reason: 'timeout',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    detail: 'Request headers are larger than the limit of 16 KB',
    reason: 'header_overflow',
  },
};
const MALFORMED = { status: 400, detail: 'Malformed HTTP request', reason: 'malformed' };

/** The Fastify options that bound how long a client may hold a connection and how many it may open. */
export function httpServerLimits(config?: AppConfig): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
  frameworkErrors: typeof answerFrameworkError;
} {
  const requestTimeout = config?.http.requestTimeoutMs ?? 10_000;
  return {
    requestTimeout,
    keepAliveTimeout: config?.http.keepAliveTimeoutMs ?? 72_000,
    http: { headersTimeout: requestTimeout, connectionsCheckingInterval: DEADLINE_CHECK_INTERVAL_MS },
    frameworkErrors: answerFrameworkError,
  };
}

/**
 * Errors Fastify's router raises before any route runs (a path parameter over its length limit, a malformed percent
 * encoding), as `{"detail"}` like every other answer: Fastify's own body would echo the path.
 */
function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? { status: 414, detail: 'A path segment is longer than 100 characters', reason: 'path_too_long' }
      : error.code === 'FST_ERR_BAD_URL'
        ? { status: 400, detail: 'The request path is not valid percent-encoded UTF-8', reason: 'bad_url' }
        : { status: error.statusCode ?? 400, detail: 'The request could not be routed', reason: 'unroutable' };
  // Such a reply runs no route's hooks, so the HTTP metrics would not see it.
  request.server[COUNT_REJECTED]?.(answer.status, answer.reason);
  void reply.status(answer.status).send({ detail: answer.detail });
}

/** The Fastify decoration that counts requests refused before routing (see `limitConnections`). */
const COUNT_REJECTED = 'countRejectedRequest';

declare module 'fastify' {
  interface FastifyInstance {
    [COUNT_REJECTED]?: (status: number, reason: string) => void;
  }
}

/**
 * Caps the connections and answers requests Node could not parse (too slow, headers too large, malformed) or Fastify
 * could not route with a `{"detail"}` body, counting each with `onRejected`; Fastify's own answers have its shape.
 */
export function limitConnections(
  fastify: FastifyInstance,
  maxConnections: number,
  onRejected: (status: number, reason: string) => void,
): void {
  fastify.decorate(COUNT_REJECTED, onRejected);
  const server = fastify.server;
  server.maxConnections = maxConnections;
  server.removeAllListeners('clientError');
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const answer = (error.code && CLIENT_ERRORS[error.code]) || MALFORMED;
    onRejected(answer.status, answer.reason);
    if (socket.writable) {
      const body = JSON.stringify({ detail: answer.detail });
      socket.write(
        `HTTP/1.1 ${answer.status} ${statusText(answer.status)}\r\nConnection: close\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
}

function statusText(status: number): string {
  return { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[status] ?? 'Error';
}
