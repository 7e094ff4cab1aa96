import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** One request header by (lower-case) name; unlike @Headers() it takes pipes, e.g. `@RequestHeader('x', Pipe)`. */
export const RequestHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => {
  return context.switchToHttp().getRequest<Request>().header(name);
});
