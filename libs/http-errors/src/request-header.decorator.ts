import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** One request header by (lower-case) name; unlike @Headers() it takes pipes, e.g. `@RequestHeader('x', Pipe)`. */
export const RequestHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name];
  // Node joins repeated headers with ", " except Set-Cookie; arrays cannot reach here for request headers we read.
  return Array.isArray(value) ? value.join(', ') : value;
});
