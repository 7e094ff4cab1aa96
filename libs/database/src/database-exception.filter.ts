import { ArgumentsHost, Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { Prisma } from './generated/prisma/client.js';

export const DATABASE_UNAVAILABLE = 'The database is temporarily unavailable; try again shortly';

/** A database that cannot be reached or answered with an engine error: 503 with Retry-After, never a 500. */
@Catch(
  Prisma.PrismaClientInitializationError,
  Prisma.PrismaClientKnownRequestError,
  Prisma.PrismaClientUnknownRequestError,
  Prisma.PrismaClientRustPanicError,
)
export class DatabaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Database');

  catch(exception: Error & { code?: string }, host: ArgumentsHost): void {
    this.logger.error(`Database request failed: ${exception.name}${exception.code ? ` ${exception.code}` : ''}`);
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    response.setHeader('Retry-After', '5');
    response.status(503).json({ detail: DATABASE_UNAVAILABLE });
  }
}
