import { Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Principal } from './principal.js';

export const INVALID_CREDENTIALS = 'Could not validate credentials';

/** 401 `{"detail": "Could not validate credentials"}` (with `WWW-Authenticate: Bearer`) for any bad token. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<T = Principal>(error: unknown, principal: T | false): T {
    if (error || !principal) throw new UnauthorizedException({ detail: INVALID_CREDENTIALS });
    return principal;
  }
}
