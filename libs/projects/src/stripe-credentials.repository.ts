import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import { PrismaService } from '../../database/src/prisma.service.js';
import { SecretCipher, stripeSecretContext } from './secret-cipher.js';

/** A project's decrypted secret key for one mode, and the version the Stripe client cache is keyed by. */
export interface StoredStripeCredentials {
  secretKey: string;
  version: number;
}

/** Reads a project's stored Stripe secret key for server-side calls made on the developer's behalf. */
@Injectable()
export class StripeCredentialsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cipher: SecretCipher,
  ) {}

  /** The mode's secret key of an active configuration; undefined when there is none (or it is deactivated). */
  async credentialsFor(projectId: string, mode: StripeMode): Promise<StoredStripeCredentials | undefined> {
    const config = await this.prisma.stripeConfig.findFirst({
      where: { projectId, isActive: true },
      select: { testSecretKey: true, liveSecretKey: true, credentialsVersion: true },
    });
    const ciphertext = mode === 'test' ? config?.testSecretKey : config?.liveSecretKey;
    if (!config || !ciphertext) return undefined;
    const secretKey = this.cipher.decrypt(ciphertext, stripeSecretContext(projectId, `${mode}SecretKey`));
    return { secretKey, version: config.credentialsVersion };
  }
}
