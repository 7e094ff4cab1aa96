import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '#libs/config';
import { verificationKeys } from './jwt-keys.js';
import type { Principal } from './principal.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessTokenClaims {
  sub?: unknown;
  type?: unknown;
  exp?: unknown;
  project_id?: unknown;
}

/** Verifies `Authorization: Bearer <JWT>` access tokens as the reference API issues them. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    const keys = verificationKeys(config.jwt);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [...keys.keys()],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: config.jwt.clockToleranceSeconds },
      ...(keys.size === 1
        ? // One algorithm: its key, and jsonwebtoken refuses any other alg (no header decode per request).
          { secretOrKey: [...keys.values()][0] as unknown as string }
        : { secretOrKeyProvider: keyForAlgorithm(keys) }),
    });
  }

  /** Claims beyond the signature: passport turns a `false` result into a 401. */
  validate(claims: AccessTokenClaims): Principal | false {
    return principalFromClaims(claims) ?? false;
  }
}

/** With several algorithms configured, the token's `alg` picks the key: never the public key for an HS token. */
function keyForAlgorithm(keys: Map<jwt.Algorithm, KeyObject>) {
  return (_request: FastifyRequest, rawToken: string, done: (error: unknown, key?: string) => void) => {
    const header = jwt.decode(rawToken, { complete: true })?.header;
    const key = header ? keys.get(header.alg as jwt.Algorithm) : undefined;
    if (!key) return done(new Error('unsupported token algorithm'));
    // jsonwebtoken takes KeyObjects and checks the key type against `alg`; the typings only say string.
    done(null, key as unknown as string);
  };
}

export function principalFromClaims(claims: AccessTokenClaims): Principal | undefined {
  if (claims.type !== 'access' || typeof claims.exp !== 'number') return undefined;
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return undefined;
  if (claims.project_id === undefined || claims.project_id === null) {
    return { userId: claims.sub.toLowerCase(), projectId: null };
  }
  if (typeof claims.project_id !== 'string' || !UUID.test(claims.project_id)) return undefined;
  return { userId: claims.sub.toLowerCase(), projectId: claims.project_id.toLowerCase() };
}
