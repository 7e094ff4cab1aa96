import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { StripeConfig } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { ProjectNotFound, StripeConfigNotFound } from './domain-errors.js';
import { isForeignKeyViolation } from './prisma-errors.js';
import { SecretCipher, stripeSecretContext } from './secret-cipher.js';
import { maskSecret } from './stripe-credentials.js';

/** Who changes a configuration: a developer over the API, or an operator with the CLI. */
export type ConfigActor = { type: 'developer'; id: string } | { type: 'operator' };

export const OPERATOR: ConfigActor = { type: 'operator' };

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
  actorType: ConfigActor['type'];
  actorId: string | null;
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

/** A project's decrypted secret key for one mode, and the version the Stripe client cache is keyed by. */
export interface StoredStripeCredentials {
  secretKey: string;
  version: number;
}

/** What the customer portal needs for one (project, user, mode), read in one round trip. */
export type PortalContext =
  | { status: 'not-configured' }
  | {
      status: 'configured';
      /** Origins a return_url may point at; empty means any. */
      allowedReturnUrlOrigins: string[];
      /** The user's Stripe customer in this project and mode, if any. */
      stripeCustomerId: string | null;
      /** `decryptSecretKey` decrypts on call: the Stripe client cache usually makes that unnecessary. */
      credentials: { decryptSecretKey: () => string; version: number; portalConfigurationId: string | null };
    };

interface PortalContextRow {
  is_active: boolean | null;
  allowed_return_url_origins: string[] | null;
  secret_key_enc: string | null;
  portal_configuration_id: string | null;
  credentials_version: number | null;
  stripe_customer_id: string | null;
}

/** The portal's one round trip per mode, as named prepared statements (parsed and planned once per connection). */
const PORTAL_CONTEXT_SQL = {
  test: { name: 'portal_context_test', text: portalContextSql('test') },
  live: { name: 'portal_context_live', text: portalContextSql('live') },
} as const;

// No join on projects: a configuration row exists only while its project does (ON DELETE CASCADE); one table fewer
// to plan and read.
function portalContextSql(mode: StripeMode): string {
  return `
    SELECT c.is_active, c.allowed_return_url_origins, c.${mode}_secret_key_enc AS secret_key_enc,
           c.${mode}_portal_configuration_id AS portal_configuration_id, c.credentials_version, cu.stripe_customer_id
      FROM stripe_configs c
      LEFT JOIN stripe_customers cu ON cu.project_id = c.project_id AND cu.user_id = $2::uuid AND cu.mode = '${mode}'
     WHERE c.project_id = $1::uuid`;
}

const SECRET_COLUMNS = ['testSecretKey', 'testWebhookSecret', 'liveSecretKey', 'liveWebhookSecret'] as const;
type SecretColumn = (typeof SECRET_COLUMNS)[number];

/**
 * The Stripe configuration aggregate: a project's keys (secrets encrypted at rest), their masked view, partial
 * updates with their history, and the decrypted credentials that server-side Stripe calls need.
 */
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
  async update(projectId: string, actor: ConfigActor, patch: StripeConfigPatch): Promise<MaskedStripeConfig> {
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

    try {
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
        await tx.stripeConfigChange.create({
          data: { projectId, ...actorColumns(actor), action: 'update', fields: changed },
        });
        return saved;
      });
      return this.masked(config);
    } catch (error) {
      // Only an operator can name a project that does not exist: the API checked ownership first.
      if (isForeignKeyViolation(error)) throw new ProjectNotFound(projectId);
      throw error;
    }
  }

  /** Deactivates the configuration (the portal then answers 404); keys, customers and history stay. */
  async deactivate(projectId: string, actor: ConfigActor): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.stripeConfig.updateMany({ where: { projectId }, data: { isActive: false } });
      if (count === 0) throw new StripeConfigNotFound();
      await tx.stripeConfigChange.create({
        data: { projectId, ...actorColumns(actor), action: 'deactivate', fields: ['is_active'] },
      });
    });
  }

  /** Newest first. */
  async history(projectId: string): Promise<StripeConfigChangeEntry[]> {
    return this.prisma.stripeConfigChange.findMany({
      where: { projectId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, actorType: true, actorId: true, action: true, fields: true, createdAt: true },
    });
  }

  /** The mode's secret key of an active configuration, decrypted; undefined when there is none (or it is deactivated). */
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

  /** The configuration, its mode's credentials and the user's customer: one query, one round trip. */
  async findPortalContext(projectId: string, userId: string, mode: StripeMode): Promise<PortalContext> {
    const rows = await this.prisma.queryRows<PortalContextRow>({
      ...PORTAL_CONTEXT_SQL[mode],
      values: [projectId, userId],
    });
    const row = rows[0];
    if (!row || !row.is_active || !row.secret_key_enc || row.credentials_version === null) {
      return { status: 'not-configured' };
    }
    const ciphertext = row.secret_key_enc;
    return {
      status: 'configured',
      allowedReturnUrlOrigins: row.allowed_return_url_origins ?? [],
      stripeCustomerId: row.stripe_customer_id,
      credentials: {
        decryptSecretKey: () => this.cipher.decrypt(ciphertext, stripeSecretContext(projectId, `${mode}SecretKey`)),
        version: row.credentials_version,
        portalConfigurationId: row.portal_configuration_id,
      },
    };
  }

  /** Re-encrypts every stored secret made with an older key under the current key; returns how many. */
  async reencryptSecrets(): Promise<{ reencrypted: number; configurations: number }> {
    const configs = await this.prisma.stripeConfig.findMany({
      select: {
        projectId: true,
        testSecretKey: true,
        testWebhookSecret: true,
        liveSecretKey: true,
        liveWebhookSecret: true,
      },
    });
    let reencrypted = 0;
    for (const config of configs) {
      const changes: Partial<Record<SecretColumn, string>> = {};
      for (const column of SECRET_COLUMNS) {
        const ciphertext = config[column];
        if (!ciphertext || !this.cipher.isStale(ciphertext)) continue;
        const context = stripeSecretContext(config.projectId, column);
        changes[column] = this.cipher.encrypt(this.cipher.decrypt(ciphertext, context), context);
      }
      if (Object.keys(changes).length === 0) continue;
      // Only if no one changed those columns meanwhile; a concurrent writer already used the current key.
      const expected = Object.fromEntries(
        Object.keys(changes).map((column) => [column, config[column as SecretColumn]]),
      );
      const { count } = await this.prisma.stripeConfig.updateMany({
        where: { projectId: config.projectId, ...expected },
        data: changes,
      });
      if (count === 1) reencrypted += Object.keys(changes).length;
    }
    return { reencrypted, configurations: configs.length };
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

function actorColumns(actor: ConfigActor): { actorType: ConfigActor['type']; actorId: string | null } {
  return { actorType: actor.type, actorId: actor.type === 'developer' ? actor.id : null };
}
