import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** A caller's X-Request-Id is kept if it is a plain token; anything else (log injection, huge) gets a fresh UUID. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's X-Request-Id when acceptable, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

interface AuthenticatedRequest extends FastifyRequest {
  user?: { userId?: string; projectId?: string | null };
}

/**
 * Returns the request id in X-Request-Id and writes one JSON line per finished request: id, method, route template
 * (never the raw URL, which may carry ids), status, duration, and the caller's project and user once authenticated.
 * Headers and bodies are never logged: they carry tokens, Stripe keys and portal login links.
 */
export function registerRequestLogging(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request: AuthenticatedRequest, reply, done) => {
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          request_id: request.id,
          method: request.method,
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          duration_ms: Math.round(reply.elapsedTime * 100) / 100,
          project_id: request.user?.projectId ?? null,
          user_id: request.user?.userId ?? null,
        },
        'request completed',
      );
    }
    done();
  });
}
