import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { ExtractJwt } from 'passport-jwt';
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

/** How every access token is checked: the configured algorithms, issuer, audience, expiry and clock tolerance. */
export interface AccessTokenRules {
  keys: Map<jwt.Algorithm, KeyObject>;
  algorithms: jwt.Algorithm[];
  issuer: string | undefined;
  audience: string | undefined;
  clockTolerance: number | undefined;
}

export function accessTokenRules(config: AppConfig): AccessTokenRules {
  const keys = verificationKeys(config.jwt);
  return {
    keys,
    algorithms: [...keys.keys()],
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    clockTolerance: config.jwt.clockToleranceSeconds,
  };
}

/** The key a token's `alg` picks: never the public key for an HS token; undefined for an unconfigured algorithm. */
export function keyForToken(keys: Map<jwt.Algorithm, KeyObject>, rawToken: string): KeyObject | undefined {
  if (keys.size === 1) return [...keys.values()][0];
  const header = jwt.decode(rawToken, { complete: true })?.header;
  return header ? keys.get(header.alg as jwt.Algorithm) : undefined;
}

/** Claims beyond the signature: an access token for a user (UUID), and for an end user a project (UUID). */
export function principalFromClaims(claims: AccessTokenClaims): Principal | undefined {
  if (claims.type !== 'access' || typeof claims.exp !== 'number') return undefined;
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return undefined;
  if (claims.project_id === undefined || claims.project_id === null) {
    return { userId: claims.sub.toLowerCase(), projectId: null };
  }
  if (typeof claims.project_id !== 'string' || !UUID.test(claims.project_id)) return undefined;
  return { userId: claims.sub.toLowerCase(), projectId: claims.project_id.toLowerCase() };
}

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Verifies `Authorization: Bearer <JWT>` with the rules passport-jwt applies for JwtStrategy (the same extractor, the
 * same jsonwebtoken options and keys), synchronously and without passport's per-request middleware: the end-user
 * endpoints authenticate with it inside their one guard.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly keys: AccessTokenRules['keys'];
  private readonly options: jwt.VerifyOptions;

  constructor(config: AppConfig) {
    const { keys, algorithms, issuer, audience, clockTolerance } = accessTokenRules(config);
    this.keys = keys;
    // What passport-jwt hands jsonwebtoken for JwtStrategy.
    this.options = { algorithms, issuer, audience, ignoreExpiration: false, clockTolerance };
  }

  /** The caller, or undefined for a missing, malformed, expired or otherwise invalid token. */
  verify(request: { headers: Record<string, string | string[] | undefined> }): Principal | undefined {
    const token = bearerToken(request as never);
    if (!token) return undefined;
    const key = keyForToken(this.keys, token);
    if (!key) return undefined;
    let claims: string | jwt.JwtPayload;
    try {
      // jsonwebtoken takes KeyObjects and checks the key type against `alg`; the typings only say string.
      claims = jwt.verify(token, key as unknown as string, this.options);
    } catch {
      return undefined;
    }
    return typeof claims === 'object' ? principalFromClaims(claims) : undefined;
  }
}
