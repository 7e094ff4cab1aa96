import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AppConfig } from '#libs/config';

export interface MintRequest {
  userId: string;
  projectId?: string;
  ttlSeconds: number;
}

/** Mints HS256 access tokens with the configured secret (operator CLI and tests); the API itself only verifies. */
@Injectable()
export class AccessTokenSigner {
  constructor(private readonly config: AppConfig) {}

  sign(request: MintRequest): string {
    const secret = this.config.jwt.secret;
    if (!secret) throw new Error('JWT_SECRET is not configured; tokens for JWT_PUBLIC_KEY are minted by their issuer');
    const claims: Record<string, unknown> = { type: 'access', jti: randomUUID() };
    if (request.projectId) claims.project_id = request.projectId;
    const { issuer, audience } = this.config.jwt;
    // jsonwebtoken rejects an explicit `issuer: undefined`, so optional claims are only passed when configured.
    return jwt.sign(claims, secret, {
      algorithm: 'HS256',
      subject: request.userId,
      expiresIn: request.ttlSeconds,
      ...(issuer && { issuer }),
      ...(audience && { audience }),
    });
  }
}
