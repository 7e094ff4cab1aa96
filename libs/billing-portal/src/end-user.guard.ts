import {
  applyDecorators,
  ForbiddenException,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { isEndUser, JwtAuthGuard, type Principal } from '../../auth/src/index.js';
import { ErrorDetail } from '../../http-errors/src/index.js';

export const END_USER_REQUIRED =
  'This endpoint requires an end-user access token with project scope (project_id claim)';

/** Admits only end-user tokens scoped to a project; developer tokens (no project_id) get 403. */
@Injectable()
export class EndUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<Request & { user?: Principal }>().user;
    if (!principal || !isEndUser(principal)) throw new ForbiddenException({ detail: END_USER_REQUIRED });
    return true;
  }
}

/** Authentication (401), then project scope (403), documented the same way it is enforced. */
export function EndUserAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(JwtAuthGuard, EndUserGuard),
    ApiBearerAuth('HTTPBearer'),
    ApiUnauthorizedResponse({
      description: 'Missing, malformed, expired or otherwise invalid bearer token.',
      type: ErrorDetail,
      example: { detail: 'Could not validate credentials' },
    }),
    ApiForbiddenResponse({
      description: 'A valid token without project scope (e.g. a developer token).',
      type: ErrorDetail,
      example: { detail: END_USER_REQUIRED },
    }),
  );
}
