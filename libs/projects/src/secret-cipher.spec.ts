import { createHash, randomBytes } from 'node:crypto';
import { AppConfig, environmentSchema } from '#libs/config';
import { SecretCipher, SecretDecryptionError } from './secret-cipher.js';

const CURRENT_KEY = Buffer.alloc(32, 0x11).toString('base64');
const PREVIOUS_KEY = Buffer.alloc(32, 0x22).toString('base64');
const OLDER_KEY = Buffer.alloc(32, 0x33).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 0x44).toString('base64');

const SECRET = 'sk_test_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
const CONTEXT = 'project:6f1c3a52-1d2e-4c8b-9a0f-3b5e7d9c1a2b:test_secret_key';

function cipherWith(currentKey: string, previousKeys: string[] = []): SecretCipher {
  const env = environmentSchema.parse({
    SECRETS_ENCRYPTION_KEY: currentKey,
    ...(previousKeys.length > 0 && { SECRETS_ENCRYPTION_PREVIOUS_KEYS: previousKeys.join(',') }),
  });
  return new SecretCipher(new AppConfig(env));
}

function keyId(base64Key: string): string {
  return createHash('sha256').update(Buffer.from(base64Key, 'base64')).digest('hex').slice(0, 12);
}

/** Flips one bit of one decoded part (1 iv, 2 tag, 3 data; 0-based after the format), re-encoded. */
function tamper(ciphertext: string, partIndex: 2 | 3 | 4, byteIndex = 0): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[partIndex], 'base64url');
  bytes[byteIndex] ^= 0x01;
  parts[partIndex] = bytes.toString('base64url');
  return parts.join('.');
}

function replacePart(ciphertext: string, partIndex: number, value: string): string {
  const parts = ciphertext.split('.');
  parts[partIndex] = value;
  return parts.join('.');
}

function decryptionError(run: () => unknown): SecretDecryptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretDecryptionError);
    return error as SecretDecryptionError;
  }
  throw new Error('expected a SecretDecryptionError, but decrypt succeeded');
}

const AUTH_FAILED = 'Cannot decrypt stored secret: authentication failed (wrong key or tampered data)';
const UNKNOWN_FORMAT = 'Cannot decrypt stored secret: unknown format';

describe('SecretCipher', () => {
  const cipher = cipherWith(CURRENT_KEY);

  describe('round trip', () => {
    it.each([
      ['a Stripe secret key', SECRET],
      ['an empty string', ''],
      ['unicode text', 'clé secrète — 秘密 🔑'],
      ['text with the separator', 'a.b.c.d.e'],
      ['a long value', 'x'.repeat(10_000)],
    ])('decrypts %s back to the same plaintext', (_label, plaintext) => {
      const ciphertext = cipher.encrypt(plaintext, CONTEXT);
      expect(cipher.decrypt(ciphertext, CONTEXT)).toBe(plaintext);
    });

    it('produces v1.<key id>.<iv>.<tag>.<data> with a 12-byte IV and a 16-byte tag', () => {
      const ciphertext = cipher.encrypt(SECRET, CONTEXT);
      const parts = ciphertext.split('.');
      expect(parts).toHaveLength(5);
      expect(parts[0]).toBe('v1');
      expect(parts[1]).toBe(keyId(CURRENT_KEY));
      expect(parts[1]).toBe(cipher.currentKeyId);
      expect(Buffer.from(parts[2], 'base64url')).toHaveLength(12);
      expect(Buffer.from(parts[3], 'base64url')).toHaveLength(16);
      expect(Buffer.from(parts[4], 'base64url')).toHaveLength(Buffer.byteLength(SECRET, 'utf8'));
      for (const part of parts.slice(1)) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    });
  });

  describe('confidentiality', () => {
    it('never contains the plaintext nor any of its encodings', () => {
      const ciphertext = cipher.encrypt(SECRET, CONTEXT);
      const plain = Buffer.from(SECRET, 'utf8');
      for (const encoded of [
        SECRET,
        plain.toString('base64'),
        plain.toString('base64url'),
        plain.toString('hex'),
        plain.toString('base64').slice(0, 16),
        'sk_test_',
      ]) {
        expect(ciphertext).not.toContain(encoded);
      }
    });

    it('never contains the key, in any encoding', () => {
      const ciphertext = cipher.encrypt(SECRET, CONTEXT);
      const key = Buffer.from(CURRENT_KEY, 'base64');
      expect(ciphertext).not.toContain(CURRENT_KEY);
      expect(ciphertext).not.toContain(key.toString('base64url'));
      expect(ciphertext).not.toContain(key.toString('hex'));
    });

    it('gives two different ciphertexts (fresh IV) for the same plaintext and context', () => {
      const first = cipher.encrypt(SECRET, CONTEXT);
      const second = cipher.encrypt(SECRET, CONTEXT);
      expect(first).not.toBe(second);
      expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
      expect(first.split('.')[4]).not.toBe(second.split('.')[4]);
      expect(cipher.decrypt(first, CONTEXT)).toBe(SECRET);
      expect(cipher.decrypt(second, CONTEXT)).toBe(SECRET);
    });

    it('never repeats an IV over many encryptions', () => {
      const ivs = new Set(Array.from({ length: 200 }, () => cipher.encrypt('x', CONTEXT).split('.')[2]));
      expect(ivs.size).toBe(200);
    });
  });

  describe('context binding', () => {
    const ciphertext = cipher.encrypt(SECRET, CONTEXT);

    it.each([
      ['another project', 'project:0b7e2c1d-9f3a-4e5b-8c6d-1a2b3c4d5e6f:test_secret_key'],
      ['another column of the same project', 'project:6f1c3a52-1d2e-4c8b-9a0f-3b5e7d9c1a2b:live_secret_key'],
      ['an empty context', ''],
      ['the same context in another case', CONTEXT.toUpperCase()],
      ['the context with a trailing space', `${CONTEXT} `],
    ])('refuses to decrypt under %s', (_label, otherContext) => {
      const error = decryptionError(() => cipher.decrypt(ciphertext, otherContext));
      expect(error.message).toBe(AUTH_FAILED);
      expect(error.name).toBe('SecretDecryptionError');
    });

    it('still decrypts under the original context (the refusals above are about the context alone)', () => {
      expect(cipher.decrypt(ciphertext, CONTEXT)).toBe(SECRET);
    });
  });

  describe('tampering', () => {
    const ciphertext = cipher.encrypt(SECRET, CONTEXT);

    it.each([
      ['the IV (first byte)', 2, 0],
      ['the IV (last byte)', 2, 11],
      ['the tag (first byte)', 3, 0],
      ['the tag (last byte)', 3, 15],
      ['the data (first byte)', 4, 0],
      ['the data (last byte)', 4, Buffer.byteLength(SECRET) - 1],
    ] as const)('fails when one bit of %s is flipped', (_label, part, byte) => {
      const tampered = tamper(ciphertext, part, byte);
      expect(tampered).not.toBe(ciphertext);
      expect(decryptionError(() => cipher.decrypt(tampered, CONTEXT)).message).toBe(AUTH_FAILED);
    });

    it.each([
      ['an empty IV', 2, ''],
      ['a short IV', 2, Buffer.alloc(8).toString('base64url')],
    ])('refuses %s as malformed', (_label, part, value) => {
      const tampered = replacePart(ciphertext, part, value);
      expect(decryptionError(() => cipher.decrypt(tampered, CONTEXT)).message).toBe(
        'Cannot decrypt stored secret: malformed ciphertext',
      );
    });

    it('refuses a truncated authentication tag', () => {
      const tag = Buffer.from(ciphertext.split('.')[3], 'base64url');
      const tampered = replacePart(ciphertext, 3, tag.subarray(0, 4).toString('base64url'));
      expect(decryptionError(() => cipher.decrypt(tampered, CONTEXT)).message).toBe(AUTH_FAILED);
    });

    it.each([
      ['an empty tag', 3, ''],
      ['a tag from another ciphertext', 3, cipher.encrypt(SECRET, CONTEXT).split('.')[3]],
      ['data from another ciphertext', 4, cipher.encrypt('sk_test_other', CONTEXT).split('.')[4]],
      ['truncated data', 4, Buffer.from('sk_test_51', 'utf8').toString('base64url')],
      ['empty data', 4, ''],
    ])('fails with %s', (_label, part, value) => {
      const tampered = replacePart(ciphertext, part, value);
      expect(decryptionError(() => cipher.decrypt(tampered, CONTEXT)).message).toBe(AUTH_FAILED);
    });

    it('fails when the key id is swapped to another configured key', () => {
      const rotated = cipherWith(CURRENT_KEY, [PREVIOUS_KEY]);
      const swapped = replacePart(ciphertext, 1, keyId(PREVIOUS_KEY));
      expect(decryptionError(() => rotated.decrypt(swapped, CONTEXT)).message).toBe(AUTH_FAILED);
    });
  });

  describe('keys', () => {
    it('refuses a ciphertext made with a key that is not configured, naming the key id but no key material', () => {
      const foreign = cipherWith(OTHER_KEY).encrypt(SECRET, CONTEXT);
      const rotated = cipherWith(CURRENT_KEY, [PREVIOUS_KEY]);
      const error = decryptionError(() => rotated.decrypt(foreign, CONTEXT));
      expect(error.message).toBe(`Cannot decrypt stored secret: encryption key ${keyId(OTHER_KEY)} is not configured`);
      for (const key of [OTHER_KEY, CURRENT_KEY, PREVIOUS_KEY]) {
        const raw = Buffer.from(key, 'base64');
        expect(error.message).not.toContain(key);
        expect(error.message).not.toContain(raw.toString('base64url'));
        expect(error.message).not.toContain(raw.toString('hex'));
      }
      expect(error.message).not.toContain(SECRET);
    });

    it('decrypts ciphertexts made with any previous key after a rotation', () => {
      const madeWithPrevious = cipherWith(PREVIOUS_KEY).encrypt(SECRET, CONTEXT);
      const madeWithOlder = cipherWith(OLDER_KEY).encrypt('sk_live_older', CONTEXT);
      const rotated = cipherWith(CURRENT_KEY, [PREVIOUS_KEY, OLDER_KEY]);
      expect(rotated.decrypt(madeWithPrevious, CONTEXT)).toBe(SECRET);
      expect(rotated.decrypt(madeWithOlder, CONTEXT)).toBe('sk_live_older');
    });

    it('encrypts with the current key only, never a previous one', () => {
      const rotated = cipherWith(CURRENT_KEY, [PREVIOUS_KEY]);
      const ciphertext = rotated.encrypt(SECRET, CONTEXT);
      expect(rotated.currentKeyId).toBe(keyId(CURRENT_KEY));
      expect(ciphertext.split('.')[1]).toBe(keyId(CURRENT_KEY));
      // A deployment that only knows the current key can read it; one that only knows the previous key cannot.
      expect(cipherWith(CURRENT_KEY).decrypt(ciphertext, CONTEXT)).toBe(SECRET);
      expect(decryptionError(() => cipherWith(PREVIOUS_KEY).decrypt(ciphertext, CONTEXT)).message).toBe(
        `Cannot decrypt stored secret: encryption key ${keyId(CURRENT_KEY)} is not configured`,
      );
    });

    it('derives the key id from the key: different keys, different ids; same key, same id', () => {
      expect(cipherWith(CURRENT_KEY).currentKeyId).toBe(cipherWith(CURRENT_KEY).currentKeyId);
      expect(cipherWith(CURRENT_KEY).currentKeyId).not.toBe(cipherWith(PREVIOUS_KEY).currentKeyId);
      expect(cipherWith(CURRENT_KEY).currentKeyId).toMatch(/^[0-9a-f]{12}$/);
    });

    it('works with a random key too', () => {
      const random = cipherWith(randomBytes(32).toString('base64'));
      expect(random.decrypt(random.encrypt(SECRET, CONTEXT), CONTEXT)).toBe(SECRET);
    });
  });

  describe('isStale', () => {
    const rotated = cipherWith(CURRENT_KEY, [PREVIOUS_KEY]);

    it('is false for a ciphertext made with the current key', () => {
      expect(rotated.isStale(rotated.encrypt(SECRET, CONTEXT))).toBe(false);
    });

    it('is true for a ciphertext made with a previous key', () => {
      expect(rotated.isStale(cipherWith(PREVIOUS_KEY).encrypt(SECRET, CONTEXT))).toBe(true);
    });

    it('is true for a ciphertext made with an unknown key', () => {
      expect(rotated.isStale(cipherWith(OTHER_KEY).encrypt(SECRET, CONTEXT))).toBe(true);
    });

    it('turns false once a stale ciphertext is re-encrypted', () => {
      const stale = cipherWith(PREVIOUS_KEY).encrypt(SECRET, CONTEXT);
      const fresh = rotated.encrypt(rotated.decrypt(stale, CONTEXT), CONTEXT);
      expect(rotated.isStale(stale)).toBe(true);
      expect(rotated.isStale(fresh)).toBe(false);
    });
  });

  describe('holdsKeyFor', () => {
    const rotated = cipherWith(CURRENT_KEY, [PREVIOUS_KEY, OLDER_KEY]);

    it.each([
      ['the current key', CURRENT_KEY, true],
      ['a previous key', PREVIOUS_KEY, true],
      ['the oldest previous key', OLDER_KEY, true],
      ['a key that is not configured', OTHER_KEY, false],
    ])('is %s -> %p for a ciphertext made with %s', (_label, key, held) => {
      expect(rotated.holdsKeyFor(cipherWith(key).encrypt(SECRET, CONTEXT))).toBe(held);
    });

    it.each([
      ['plaintext', SECRET],
      ['an unknown version', cipher.encrypt(SECRET, CONTEXT).replace(/^v1\./, 'v2.')],
      ['an empty string', ''],
    ])('is false for %s', (_label, input) => {
      expect(cipher.holdsKeyFor(input)).toBe(false);
    });
  });

  describe('format', () => {
    const valid = cipher.encrypt(SECRET, CONTEXT);

    it.each([
      ['plaintext', SECRET],
      ['an empty string', ''],
      ['an unknown version', valid.replace(/^v1\./, 'v2.')],
      ['an upper-case version', valid.replace(/^v1\./, 'V1.')],
      ['four parts', valid.split('.').slice(0, 4).join('.')],
      ['six parts', `${valid}.extra`],
      ['a JSON blob', JSON.stringify({ iv: 'a', tag: 'b', data: 'c' })],
      ['only separators', '....'],
    ])('refuses %s as an unknown format', (_label, input) => {
      expect(decryptionError(() => cipher.decrypt(input, CONTEXT)).message).toBe(UNKNOWN_FORMAT);
    });
  });
});
