import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { UNSUPPORTED_MEDIA_TYPE } from './json-body.parser.js';

/**
 * Every error leaves as the reference API's `{"detail": ...}`; nothing else (no stack, no echo of the input).
 * Unexpected errors become a 500 with a generic detail and are logged by name and message only.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = this.toResponse(exception);
    if (reply.sent) return;
    reply.headers(headers).status(status).send(body);
  }

  private toResponse(exception: unknown): { status: number; body: unknown; headers: Record<string, string> } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const headers: Record<string, string> = {};
      if (status === HttpStatus.UNAUTHORIZED) headers['WWW-Authenticate'] = 'Bearer';
      const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
      return { status, body: bodyOf(exception), headers };
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error(`Unhandled ${error.name}: ${error.message}`);
    return { status: 500, body: { detail: 'Internal server error' }, headers: {} };
  }
}

/** Our exceptions carry the body as sent (`{detail}`, or `{detail, retry_after}` for 429); Nest's own get `{detail}`. */
function bodyOf(exception: HttpException): unknown {
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null && 'detail' in response) return response;
  // Fastify refuses a Content-Type it cannot even parse before any body reader runs: the readers' own wording.
  if (exception.getStatus() === HttpStatus.UNSUPPORTED_MEDIA_TYPE) return { detail: UNSUPPORTED_MEDIA_TYPE };
  return { detail: typeof response === 'string' ? response : exception.message };
}
