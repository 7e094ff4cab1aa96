import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from 'jsonwebtoken';
import { AppConfig } from '#libs/config';

/**
 * The verification key for each accepted algorithm. A token's `alg` picks its key, so an HS256 token can never be
 * checked against the public key (algorithm confusion) and `none` or unconfigured algorithms have no key at all.
 */
export function verificationKeys(jwt: AppConfig['jwt']): Map<Algorithm, KeyObject> {
  const keys = new Map<Algorithm, KeyObject>();
  if (jwt.secret) keys.set('HS256', createSecretKey(Buffer.from(jwt.secret, 'utf8')));
  if (jwt.publicKey) {
    const publicKey = createPublicKey(jwt.publicKey);
    keys.set(publicKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256', publicKey);
  }
  return keys;
}
