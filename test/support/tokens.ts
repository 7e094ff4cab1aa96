import { randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** Shared by every e2e test app: what JWT_SECRET is set to, and a key that is NOT it. */
export const TEST_JWT_SECRET = randomBytes(32).toString('base64url');
export const WRONG_JWT_SECRET = randomBytes(32).toString('base64url');

export interface TokenOptions {
  sub?: unknown;
  projectId?: unknown;
  type?: unknown;
  expiresInSeconds?: number;
  secret?: string;
  extra?: Record<string, unknown>;
}

/** An HS256 access token as the reference API issues them; options bend it into each kind of bad token. */
export function accessToken(options: TokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: 'sub' in options ? options.sub : randomUUID(),
    type: 'type' in options ? options.type : 'access',
    iat: now,
    exp: now + (options.expiresInSeconds ?? 900),
    ...options.extra,
  };
  if (options.projectId !== undefined) claims.project_id = options.projectId;
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return jwt.sign(claims, options.secret ?? TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: true });
}

export function endUserToken(userId: string, projectId: string, options: TokenOptions = {}): string {
  return accessToken({ sub: userId, projectId, ...options });
}

/** `alg: none`: a header and payload with an empty signature. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}
