import { storedSecretsKeyMismatchMessage } from './stored-secrets-startup-check.js';

const FIX =
  'Restore the former SECRETS_ENCRYPTION_KEY, or keep the new one and set SECRETS_ENCRYPTION_PREVIOUS_KEYS to the ' +
  'former key (then run `secrets reencrypt` to move the secrets to the new key). A key id is the first 12 hex ' +
  'digits of the SHA-256 of the 32-byte key.';

describe('storedSecretsKeyMismatchMessage', () => {
  it('names the key, how many secrets and projects, the current key and the fix', () => {
    expect(storedSecretsKeyMismatchMessage([{ keyId: 'a1b2c3d4e5f6', secrets: 1, projects: 1 }], '0f0e0d0c0b0a')).toBe(
      'Refusing to start: 1 stored Stripe secret (1 project) was encrypted with key a1b2c3d4e5f6, which neither ' +
        `SECRETS_ENCRYPTION_KEY (key 0f0e0d0c0b0a) nor SECRETS_ENCRYPTION_PREVIOUS_KEYS holds. ${FIX}`,
    );
  });

  it('lists every unknown key and the secrets in an unknown format', () => {
    const message = storedSecretsKeyMismatchMessage(
      [
        { keyId: 'a1b2c3d4e5f6', secrets: 7, projects: 3 },
        { keyId: null, secrets: 2, projects: 2 },
      ],
      '0f0e0d0c0b0a',
    );
    expect(message).toBe(
      'Refusing to start: 7 stored Stripe secrets (3 projects) were encrypted with key a1b2c3d4e5f6; ' +
        '2 stored Stripe secrets (2 projects) are in an unknown format, which neither SECRETS_ENCRYPTION_KEY ' +
        `(key 0f0e0d0c0b0a) nor SECRETS_ENCRYPTION_PREVIOUS_KEYS holds. ${FIX}`,
    );
  });
});
