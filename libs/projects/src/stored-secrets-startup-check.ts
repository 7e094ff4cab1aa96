import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DatabaseUnavailableError } from '../../database/src/database-failures.js';
import { SecretCipher } from './secret-cipher.js';
import { StripeConfigRepository, type SecretsWithoutKey } from './stripe-config.repository.js';

/** The service was started with encryption keys that cannot decrypt secrets already stored. */
export class StoredSecretsKeyMismatch extends Error {
  constructor(
    readonly unreadable: SecretsWithoutKey[],
    currentKeyId: string,
  ) {
    super(storedSecretsKeyMismatchMessage(unreadable, currentKeyId));
    this.name = 'StoredSecretsKeyMismatch';
  }
}

/** One message naming what cannot be read, with which key, and the fix. */
export function storedSecretsKeyMismatchMessage(unreadable: SecretsWithoutKey[], currentKeyId: string): string {
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const groups = unreadable
    .map(({ keyId, secrets, projects }) => {
      const [is, was] = secrets === 1 ? ['is', 'was'] : ['are', 'were'];
      const made = keyId === null ? `${is} in an unknown format` : `${was} encrypted with key ${keyId}`;
      return `${plural(secrets, 'stored Stripe secret')} (${plural(projects, 'project')}) ${made}`;
    })
    .join('; ');
  return (
    `Refusing to start: ${groups}, which neither SECRETS_ENCRYPTION_KEY (key ${currentKeyId}) nor ` +
    'SECRETS_ENCRYPTION_PREVIOUS_KEYS holds. Restore the former SECRETS_ENCRYPTION_KEY, or keep the new one and set ' +
    'SECRETS_ENCRYPTION_PREVIOUS_KEYS to the former key (then run `secrets reencrypt` to move the secrets to the new ' +
    'key). A key id is the first 12 hex digits of the SHA-256 of the 32-byte key.'
  );
}

/**
 * The API's start-up check that every stored Stripe secret names a key the service holds: a replaced
 * SECRETS_ENCRYPTION_KEY stops the start with the fix, instead of failing every request that needs a secret. One
 * aggregate query over the key ids, no decryption. A database that cannot be reached is not a reason to refuse
 * (readiness reports it); such a start is logged as unchecked.
 */
@Injectable()
export class StoredSecretsStartupCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('StoredSecrets');

  constructor(
    private readonly configs: StripeConfigRepository,
    private readonly cipher: SecretCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let unreadable: SecretsWithoutKey[];
    try {
      unreadable = await this.configs.secretsWithoutKey();
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      this.logger.warn(
        `Could not check that stored Stripe secrets decrypt (${error.reason}); requests needing an unreadable one answer 503`,
      );
      return;
    }
    if (unreadable.length > 0) throw new StoredSecretsKeyMismatch(unreadable, this.cipher.currentKeyId);
  }
}
