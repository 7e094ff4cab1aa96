import { Injectable, NotFoundException } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { StripeConfig } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { SecretCipher, stripeSecretContext } from './secret-cipher.js';
import { maskSecret } from './stripe-credentials.js';

export const STRIPE_CONFIG_NOT_FOUND = 'Stripe configuration not found';

/** The fields a developer sets; absent or null leaves a value unchanged, an empty string (or []) clears it. */
export interface StripeConfigPatch {
  test_secret_key?: string | null;
  test_publishable_key?: string | null;
  test_webhook_secret?: string | null;
  test_portal_configuration_id?: string | null;
  live_secret_key?: string | null;
  live_publishable_key?: string | null;
  live_webhook_secret?: string | null;
  live_portal_configuration_id?: string | null;
  allowed_return_url_origins?: string[] | null;
}

export type StripeConfigField = keyof StripeConfigPatch;

/** A configuration as developers may see it: secrets only masked. */
export interface MaskedStripeConfig {
  id: string;
  projectId: string;
  isActive: boolean;
  masked: Record<
    | 'test_secret_key'
    | 'test_publishable_key'
    | 'test_webhook_secret'
    | 'live_secret_key'
    | 'live_publishable_key'
    | 'live_webhook_secret',
    string | null
  >;
  testPortalConfigurationId: string | null;
  livePortalConfigurationId: string | null;
  allowedReturnUrlOrigins: string[];
  testConfiguredAt: Date | null;
  liveConfiguredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StripeConfigChangeEntry {
  id: string;
  actorId: string;
  action: string;
  fields: string[];
  createdAt: Date;
}

type Column = Exclude<
  keyof StripeConfig,
  'projectId' | 'id' | 'createdAt' | 'updatedAt' | 'credentialsVersion' | 'isActive'
>;

const FIELDS: Record<StripeConfigField, { column: Column; mode?: StripeMode; secret: boolean; credential: boolean }> = {
  test_secret_key: { column: 'testSecretKey', mode: 'test', secret: true, credential: true },
  test_publishable_key: { column: 'testPublishableKey', mode: 'test', secret: false, credential: true },
  test_webhook_secret: { column: 'testWebhookSecret', mode: 'test', secret: true, credential: true },
  test_portal_configuration_id: { column: 'testPortalConfigurationId', mode: 'test', secret: false, credential: false },
  live_secret_key: { column: 'liveSecretKey', mode: 'live', secret: true, credential: true },
  live_publishable_key: { column: 'livePublishableKey', mode: 'live', secret: false, credential: true },
  live_webhook_secret: { column: 'liveWebhookSecret', mode: 'live', secret: true, credential: true },
  live_portal_configuration_id: { column: 'livePortalConfigurationId', mode: 'live', secret: false, credential: false },
  allowed_return_url_origins: { column: 'allowedReturnUrlOrigins', secret: false, credential: false },
};

/** A project's Stripe configuration as its developer manages it: masked reads, partial updates, history. */
@Injectable()
export class StripeConfigRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cipher: SecretCipher,
  ) {}

  async find(projectId: string): Promise<MaskedStripeConfig | null> {
    const config = await this.prisma.stripeConfig.findUnique({ where: { projectId } });
    return config && this.masked(config);
  }

  /**
   * Applies a partial update (creating the configuration if needed), reactivates it, and records which fields
   * changed, all in one transaction. A mode's configured-at time and the credentials version move only when that
   * mode's credentials change, so cached Stripe clients are replaced exactly on rotation.
   */
  async update(projectId: string, actorId: string, patch: StripeConfigPatch): Promise<MaskedStripeConfig> {
    const now = new Date();
    const data: Record<string, unknown> = {};
    const changed: StripeConfigField[] = [];
    const modesWithNewCredentials = new Set<StripeMode>();
    for (const [field, spec] of Object.entries(FIELDS) as [StripeConfigField, (typeof FIELDS)[StripeConfigField]][]) {
      const value = patch[field];
      if (value === undefined || value === null) continue;
      changed.push(field);
      if (Array.isArray(value)) data[spec.column] = value;
      else if (value === '') data[spec.column] = null;
      else
        data[spec.column] = spec.secret
          ? this.cipher.encrypt(value, stripeSecretContext(projectId, spec.column))
          : value;
      if (spec.credential && spec.mode) modesWithNewCredentials.add(spec.mode);
    }
    for (const mode of modesWithNewCredentials) data[`${mode}ConfiguredAt`] = now;

    const config = await this.prisma.$transaction(async (tx) => {
      const saved = await tx.stripeConfig.upsert({
        where: { projectId },
        create: { projectId, createdAt: now, ...data },
        update: {
          ...data,
          isActive: true,
          ...(modesWithNewCredentials.size > 0 && { credentialsVersion: { increment: 1 } }),
        },
      });
      await tx.stripeConfigChange.create({ data: { projectId, actorId, action: 'update', fields: changed } });
      return saved;
    });
    return this.masked(config);
  }

  /** Deactivates the configuration (the portal then answers 404); keys, customers and history stay. */
  async deactivate(projectId: string, actorId: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.stripeConfig.updateMany({ where: { projectId }, data: { isActive: false } });
      if (count === 0) throw new NotFoundException({ detail: STRIPE_CONFIG_NOT_FOUND });
      await tx.stripeConfigChange.create({ data: { projectId, actorId, action: 'deactivate', fields: ['is_active'] } });
    });
  }

  /** Newest first. */
  async history(projectId: string): Promise<StripeConfigChangeEntry[]> {
    return this.prisma.stripeConfigChange.findMany({
      where: { projectId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, actorId: true, action: true, fields: true, createdAt: true },
    });
  }

  private masked(config: StripeConfig): MaskedStripeConfig {
    const secret = (column: 'testSecretKey' | 'testWebhookSecret' | 'liveSecretKey' | 'liveWebhookSecret') => {
      const stored = config[column];
      return stored ? maskSecret(this.cipher.decrypt(stored, stripeSecretContext(config.projectId, column))) : null;
    };
    const plain = (value: string | null) => (value ? maskSecret(value) : null);
    return {
      id: config.id,
      projectId: config.projectId,
      isActive: config.isActive,
      masked: {
        test_secret_key: secret('testSecretKey'),
        test_publishable_key: plain(config.testPublishableKey),
        test_webhook_secret: secret('testWebhookSecret'),
        live_secret_key: secret('liveSecretKey'),
        live_publishable_key: plain(config.livePublishableKey),
        live_webhook_secret: secret('liveWebhookSecret'),
      },
      testPortalConfigurationId: config.testPortalConfigurationId,
      livePortalConfigurationId: config.livePortalConfigurationId,
      allowedReturnUrlOrigins: config.allowedReturnUrlOrigins,
      testConfiguredAt: config.testConfiguredAt,
      liveConfiguredAt: config.liveConfiguredAt,
      createdAt: config.createdAt,
      updatedAt: config.updatedAt,
    };
  }
}
