import { ArgumentsHost, Catch, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError } from '#libs/projects';

/**
 * The one table from a domain refusal to the reference's status; the body is the domain's own `detail`. A
 * misconfigured service (stored secrets its keys cannot decrypt) is a 503 without Retry-After: not the caller's fault,
 * and retrying does not help until an operator fixes the configuration.
 */
const STATUS: Record<DomainError['kind'], HttpStatus> = {
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  misconfigured: HttpStatus.SERVICE_UNAVAILABLE,
};

@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    reply.status(STATUS[error.kind]).send({ detail: error.detail });
  }
}
