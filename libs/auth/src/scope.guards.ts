import {
  applyDecorators,
  ForbiddenException,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorDetail } from '#libs/http-errors';
import { INVALID_CREDENTIALS, JwtAuthGuard } from './jwt-auth.guard.js';
import { isEndUser, type Principal } from './principal.js';

export const END_USER_REQUIRED =
  'This endpoint requires an end-user access token with project scope (project_id claim)';
export const DEVELOPER_REQUIRED = 'This endpoint requires a developer access token (a token without project_id)';

function principalOf(context: ExecutionContext): Principal | undefined {
  return context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>().user;
}

/** Admits only end-user tokens scoped to a project; developer tokens (no project_id) get 403. */
@Injectable()
export class EndUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = principalOf(context);
    if (!principal || !isEndUser(principal)) throw new ForbiddenException({ detail: END_USER_REQUIRED });
    return true;
  }
}

/** Admits only developer tokens (no project_id); end-user tokens get 403. */
@Injectable()
export class DeveloperGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = principalOf(context);
    if (!principal || isEndUser(principal)) throw new ForbiddenException({ detail: DEVELOPER_REQUIRED });
    return true;
  }
}

/** The bearer scheme and the 401 and 403 answers, documented once for every kind of caller. */
function scopeDocs(forbidden: string, who: string) {
  return applyDecorators(
    ApiBearerAuth('HTTPBearer'),
    ApiUnauthorizedResponse({
      description: 'Missing, malformed, expired or otherwise invalid bearer token.',
      type: ErrorDetail,
      example: { detail: INVALID_CREDENTIALS },
    }),
    ApiForbiddenResponse({
      description: `A valid token of the wrong kind: ${who}.`,
      type: ErrorDetail,
      example: { detail: forbidden },
    }),
  );
}

/** The documentation of EndUserAuth() alone, for a guard that enforces it together with more (the rate limits). */
export function ApiEndUserAuth(): MethodDecorator & ClassDecorator {
  return scopeDocs(END_USER_REQUIRED, 'this endpoint is for end users (tokens with project_id)');
}

/** Authentication (401), then project scope (403), documented the same way it is enforced. */
export function EndUserAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(UseGuards(JwtAuthGuard, EndUserGuard), ApiEndUserAuth());
}

/** Authentication (401), then developer scope (403), documented the same way it is enforced. */
export function DeveloperAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(JwtAuthGuard, DeveloperGuard),
    scopeDocs(DEVELOPER_REQUIRED, 'this endpoint is for developers (tokens without project_id)'),
  );
}
