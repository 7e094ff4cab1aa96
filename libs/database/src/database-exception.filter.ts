import { ArgumentsHost, Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Prisma } from './generated/prisma/client.js';
import { DatabaseUnavailableError, unavailabilityReason } from './database-failures.js';

export const DATABASE_UNAVAILABLE = 'The database is temporarily unavailable; try again shortly';

/**
 * Matches a Prisma driver adapter's DriverAdapterError, which Prisma sometimes lets through unwrapped (a connection
 * closed around a transaction). Recognised as Prisma itself does, by name and cause: the PGlite adapter bundles its
 * own copy of the class, so `instanceof` on an imported class would miss its errors.
 */
class DriverAdapterFailure {
  static [Symbol.hasInstance](error: unknown): boolean {
    const { name, cause } = (error ?? {}) as { name?: unknown; cause?: unknown };
    return name === 'DriverAdapterError' && typeof cause === 'object' && cause !== null;
  }
}

/**
 * A database that cannot be reached or could not answer in time: 503 with Retry-After, never a 500. Any other
 * database error (a constraint nobody expected, a statement PostgreSQL refused) is a bug: 500, as for any other.
 */
@Catch(
  Prisma.PrismaClientInitializationError,
  Prisma.PrismaClientKnownRequestError,
  Prisma.PrismaClientUnknownRequestError,
  Prisma.PrismaClientRustPanicError,
  DriverAdapterFailure,
  DatabaseUnavailableError,
)
export class DatabaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Database');

  catch(exception: Error & { code?: unknown }, host: ArgumentsHost): void {
    const reason = unavailabilityReason(exception);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reason === undefined) {
      const code = typeof exception.code === 'string' ? ` ${exception.code}` : '';
      this.logger.error(`Database request failed: ${exception.name}${code}`);
      if (!reply.sent) reply.status(500).send({ detail: 'Internal server error' });
      return;
    }
    this.logger.error(`Database unavailable: ${exception.name} ${reason}`);
    if (reply.sent) return;
    reply.header('Retry-After', '5').status(503).send({ detail: DATABASE_UNAVAILABLE });
  }
}
