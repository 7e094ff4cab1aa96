import { ArgumentsHost, Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Prisma } from './generated/prisma/client.js';
import { DatabaseUnavailableError } from './prisma.service.js';

export const DATABASE_UNAVAILABLE = 'The database is temporarily unavailable; try again shortly';

/** A database that cannot be reached or answered with an engine error: 503 with Retry-After, never a 500. */
@Catch(
  Prisma.PrismaClientInitializationError,
  Prisma.PrismaClientKnownRequestError,
  Prisma.PrismaClientUnknownRequestError,
  Prisma.PrismaClientRustPanicError,
  DatabaseUnavailableError,
)
export class DatabaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Database');

  catch(exception: Error & { code?: string }, host: ArgumentsHost): void {
    const cause = exception instanceof DatabaseUnavailableError ? exception.reason : exception.code;
    this.logger.error(`Database request failed: ${exception.name}${cause ? ` ${cause}` : ''}`);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    reply.header('Retry-After', '5').status(503).send({ detail: DATABASE_UNAVAILABLE });
  }
}
