import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '#libs/config';
import { accessTokenRules, keyForToken, principalFromClaims, type AccessTokenClaims } from './access-token.verifier.js';
import type { Principal } from './principal.js';

/** Verifies `Authorization: Bearer <JWT>` access tokens as the reference API issues them (developer endpoints). */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    const { keys, algorithms, issuer, audience, clockTolerance } = accessTokenRules(config);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms,
      issuer,
      audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance },
      ...(keys.size === 1
        ? // One algorithm: its key, and jsonwebtoken refuses any other alg (no header decode per request).
          { secretOrKey: [...keys.values()][0] as unknown as string }
        : {
            secretOrKeyProvider: (
              _request: FastifyRequest,
              rawToken: string,
              done: (error: unknown, key?: string) => void,
            ) => {
              const key = keyForToken(keys, rawToken);
              // jsonwebtoken takes KeyObjects and checks the key type against `alg`; the typings only say string.
              if (key) done(null, key as unknown as string);
              else done(new Error('unsupported token algorithm'));
            },
          }),
    });
  }

  /** Claims beyond the signature: passport turns a `false` result into a 401. */
  validate(claims: AccessTokenClaims): Principal | false {
    return principalFromClaims(claims) ?? false;
  }
}
