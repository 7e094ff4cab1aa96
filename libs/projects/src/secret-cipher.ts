import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '#libs/config';

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface EncryptionKey {
  id: string;
  key: Buffer;
}

export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`Cannot decrypt stored secret: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM for Stripe secrets at rest. Ciphertext: `v1.<key id>.<iv>.<tag>.<data>` (base64url parts).
 * The context (e.g. project id and column) is bound as additional data, so a ciphertext copied to another row fails.
 */
@Injectable()
export class SecretCipher {
  private readonly current: EncryptionKey;
  private readonly byId: Map<string, EncryptionKey>;

  constructor(config: AppConfig) {
    this.current = toEncryptionKey(config.secrets.currentKey);
    const all = [this.current, ...config.secrets.previousKeys.map(toEncryptionKey)];
    this.byId = new Map(all.map((key) => [key.id, key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      FORMAT,
      this.current.id,
      iv.toString('base64url'),
      tag.toString('base64url'),
      data.toString('base64url'),
    ].join('.');
  }

  decrypt(ciphertext: string, context: string): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new SecretDecryptionError('unknown format');
    const [, keyId, iv, tag, data] = parts;
    const key = this.byId.get(keyId);
    if (!key) throw new SecretDecryptionError(`encryption key ${keyId} is not configured`);
    const ivBytes = Buffer.from(iv, 'base64url');
    if (ivBytes.length !== IV_BYTES) throw new SecretDecryptionError('malformed ciphertext');
    try {
      // A fixed tag length: GCM would otherwise accept a truncated tag, which makes forgeries far cheaper.
      const decipher = createDecipheriv('aes-256-gcm', key.key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('authentication failed (wrong key or tampered data)');
    }
  }

  /** Whether this service holds the key a ciphertext names (current or previous); integrity is checked on decrypt. */
  holdsKeyFor(ciphertext: string): boolean {
    const [format, keyId] = ciphertext.split('.');
    return format === FORMAT && this.byId.has(keyId);
  }

  /** True when the ciphertext was made with an older key and should be re-encrypted. */
  isStale(ciphertext: string): boolean {
    return ciphertext.split('.')[1] !== this.current.id;
  }
}

function toEncryptionKey(key: Buffer): EncryptionKey {
  // A short public fingerprint of the key, so ciphertexts name the key that made them without revealing it.
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

/** Additional authenticated data for a stored Stripe secret: which project and column the ciphertext belongs to. */
export function stripeSecretContext(projectId: string, column: string): string {
  return `stripe_configs:${projectId}:${column}`;
}
