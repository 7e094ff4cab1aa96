import { Injectable, Logger } from '@nestjs/common';
import { NOT_ENDED_SUBSCRIPTION_STATUSES } from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import type { StripeConfig } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { ProjectNotFound, StoredSecretUnreadable, StripeConfigNotFound } from './domain-errors.js';
import { isForeignKeyViolation } from './prisma-errors.js';
import { SecretCipher, SecretDecryptionError, stripeSecretContext } from './secret-cipher.js';
import { maskSecret } from './stripe-credentials.js';

/** Who changes a configuration: a developer over the API, or an operator with the CLI. */
export type ConfigActor = { type: 'developer'; id: string } | { type: 'operator' };

export const OPERATOR: ConfigActor = { type: 'operator' };

/**
 * The fields a developer sets; absent or null leaves a value unchanged, an empty string (or []) clears it, except
 * `trial_period_days`, which null clears (a number has no empty form).
 */
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
  allowed_price_ids?: string[] | null;
  trial_period_days?: number | null;
  past_due_grace_days?: number | null;
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
  allowedPriceIds: string[];
  trialPeriodDays: number | null;
  pastDueGraceDays: number;
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

/** One page of a configuration's history, newest first, and how many entries it has in all. */
export interface StripeConfigHistoryPage {
  changes: StripeConfigChangeEntry[];
  total: number;
}

/** Stored secrets none of the configured keys can decrypt, grouped by the key (or unknown format) they name. */
export interface SecretsWithoutKey {
  /** The key id the ciphertexts name; null when they are not in a format this service writes. */
  keyId: string | null;
  secrets: number;
  projects: number;
}

type Column = Exclude<
  keyof StripeConfig,
  'projectId' | 'id' | 'createdAt' | 'updatedAt' | 'credentialsVersion' | 'isActive'
>;

interface FieldSpec {
  column: Column;
  mode?: StripeMode;
  secret: boolean;
  credential: boolean;
  /** null clears the field instead of keeping it. */
  nullClears?: boolean;
}

const FIELDS: Record<StripeConfigField, FieldSpec> = {
  test_secret_key: { column: 'testSecretKey', mode: 'test', secret: true, credential: true },
  test_publishable_key: { column: 'testPublishableKey', mode: 'test', secret: false, credential: true },
  test_webhook_secret: { column: 'testWebhookSecret', mode: 'test', secret: true, credential: true },
  test_portal_configuration_id: { column: 'testPortalConfigurationId', mode: 'test', secret: false, credential: false },
  live_secret_key: { column: 'liveSecretKey', mode: 'live', secret: true, credential: true },
  live_publishable_key: { column: 'livePublishableKey', mode: 'live', secret: false, credential: true },
  live_webhook_secret: { column: 'liveWebhookSecret', mode: 'live', secret: true, credential: true },
  live_portal_configuration_id: { column: 'livePortalConfigurationId', mode: 'live', secret: false, credential: false },
  allowed_return_url_origins: { column: 'allowedReturnUrlOrigins', secret: false, credential: false },
  allowed_price_ids: { column: 'allowedPriceIds', secret: false, credential: false },
  trial_period_days: { column: 'trialPeriodDays', secret: false, credential: false, nullClears: true },
  past_due_grace_days: { column: 'pastDueGraceDays', secret: false, credential: false },
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

/** What changing an end user's subscription needs for one (project, mode): the mode's key and the allowed prices. */
export type SubscriptionChangeContext =
  | { status: 'not-configured' }
  | {
      status: 'configured';
      /** Prices end users may move to; empty means any. */
      allowedPriceIds: string[];
      /** `decryptSecretKey` decrypts on call: the Stripe client cache usually makes that unnecessary. */
      credentials: { decryptSecretKey: () => string; version: number };
    };

/** The lease that serialises one user's checkouts: a `leases` row (see LeasesRepository), taken by its holder. */
export interface CheckoutLease {
  key: string;
  holder: string;
  ttlMs: number;
}

/**
 * Whether the context was read holding the user's lease: `held` (current: nothing can change it until the lease is
 * released), `stale` (taken, but read before the previous holder's last write: read again) or `busy` (another holds
 * it; the configuration is still current).
 */
export type CheckoutLeaseState = 'held' | 'stale' | 'busy';

/** An open checkout session the service remembers, with the client's Idempotency-Key digest it was created under. */
export interface RememberedCheckoutSession {
  stripeSessionId: string;
  url: string;
  idempotencyKey: string;
}

/** What a checkout needs for one (project, user, mode), read in one round trip that also takes the user's lease. */
export type CheckoutContext =
  | { status: 'not-configured' }
  | {
      status: 'configured';
      lease: CheckoutLeaseState;
      /** Origins success_url and cancel_url may point at; empty means any. */
      allowedReturnUrlOrigins: string[];
      /** Prices end users may check out; empty means any. */
      allowedPriceIds: string[];
      trialPeriodDays: number | null;
      credentials: { decryptSecretKey: () => string; version: number };
      stripeCustomerId: string | null;
      /**
       * A subscription that has not ended (NOT_ENDED_SUBSCRIPTION_STATUSES), the user's or their customer's, or a
       * subscription checkout paid whose subscription no webhook has recorded yet.
       */
      hasCurrentSubscription: boolean;
      /** Any subscription ever, or a completed subscription checkout: a trial is for the first one only. */
      hadSubscription: boolean;
      /** The open subscription checkout, the one payable session a user may have. */
      openSubscriptionSessionId: string | null;
      /** The open session created under the given Idempotency-Key digest, if any. */
      sessionForKey: RememberedCheckoutSession | null;
      /** The user's most recent session in any state: what a new one follows. */
      latestSessionId: string | null;
    };

interface CheckoutContextRow {
  is_active: boolean;
  allowed_return_url_origins: string[] | null;
  allowed_price_ids: string[] | null;
  trial_period_days: number | null;
  secret_key_enc: string | null;
  credentials_version: number;
  lease_taken: boolean;
  lease_was_held: boolean;
  stripe_customer_id: string | null;
  has_current_subscription: boolean;
  had_subscription: boolean;
  open_session_id: string | null;
  key_session_id: string | null;
  key_session_url: string | null;
  key_session_idempotency_key: string | null;
  latest_session_id: string | null;
}

export const CHECKOUT_CONTEXT_SQL = {
  test: { name: 'checkout_context_test', text: checkoutContextSql('test') },
  live: { name: 'checkout_context_live', text: checkoutContextSql('live') },
} as const;

/**
 * $1 project, $2 user, $3 lease key, $4 holder, $5 lease ttl (ms), $6 the Idempotency-Key digest (or null).
 *
 * The lease is taken (only for a configured project) as LeasesRepository takes it, and also when this holder already
 * has it. The whole statement reads one snapshot, taken before the insert waited for any concurrent release: when the
 * snapshot still shows another holder's lease, its release (and the write that came with it) happened after the
 * snapshot, and the caller reads again (`stale`).
 */
function checkoutContextSql(mode: StripeMode): string {
  const notEnded = NOT_ENDED_SUBSCRIPTION_STATUSES.map((status) => `'${status}'`).join(', ');
  const sessions = `checkout_sessions cs WHERE cs.project_id = $1::uuid AND cs.mode = '${mode}' AND cs.user_id = $2::uuid`;
  const subscriptions = `subscriptions s WHERE s.project_id = $1::uuid AND s.mode = '${mode}'
                 AND (s.user_id = $2::uuid OR s.stripe_customer_id = (SELECT stripe_customer_id FROM customer))`;
  return `
    WITH config AS (
      SELECT is_active, allowed_return_url_origins, allowed_price_ids, trial_period_days,
             ${mode}_secret_key_enc AS secret_key_enc, credentials_version
        FROM stripe_configs
       WHERE project_id = $1::uuid
    ), lease AS (
      INSERT INTO leases (key, holder, expires_at)
      SELECT $3, $4::uuid, now() + $5::int * interval '1 millisecond'
        FROM config
       WHERE config.is_active AND config.secret_key_enc IS NOT NULL
      ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE leases.expires_at < now() OR leases.holder = EXCLUDED.holder
      RETURNING holder
    ), customer AS (
      SELECT stripe_customer_id FROM stripe_customers
       WHERE project_id = $1::uuid AND user_id = $2::uuid AND mode = '${mode}'
    )
    SELECT c.is_active, c.allowed_return_url_origins, c.allowed_price_ids, c.trial_period_days, c.secret_key_enc,
           c.credentials_version,
           EXISTS (SELECT 1 FROM lease) AS lease_taken,
           EXISTS (SELECT 1 FROM leases l WHERE l.key = $3 AND l.holder <> $4::uuid AND l.expires_at >= now())
             AS lease_was_held,
           (SELECT stripe_customer_id FROM customer) AS stripe_customer_id,
           (EXISTS (SELECT 1 FROM ${subscriptions} AND s.status IN (${notEnded}))
            OR EXISTS (SELECT 1 FROM ${sessions} AND cs.checkout_mode = 'subscription' AND cs.status = 'complete'
                          AND NOT EXISTS (SELECT 1 FROM ${subscriptions}
                                             AND s.created_at >= cs.created_at - interval '5 minutes')))
             AS has_current_subscription,
           (EXISTS (SELECT 1 FROM ${subscriptions})
            OR EXISTS (SELECT 1 FROM ${sessions} AND cs.checkout_mode = 'subscription' AND cs.status = 'complete'))
             AS had_subscription,
           open_session.stripe_session_id AS open_session_id,
           key_session.stripe_session_id AS key_session_id, key_session.url AS key_session_url,
           key_session.idempotency_key AS key_session_idempotency_key,
           latest.stripe_session_id AS latest_session_id
      FROM config c
      LEFT JOIN LATERAL (
        SELECT cs.stripe_session_id FROM ${sessions} AND cs.status = 'open' AND cs.checkout_mode = 'subscription'
         ORDER BY cs.created_at DESC LIMIT 1
      ) open_session ON true
      LEFT JOIN LATERAL (
        SELECT cs.stripe_session_id, cs.url, cs.idempotency_key FROM ${sessions}
           AND cs.status = 'open' AND split_part(cs.idempotency_key, '.', 1) = $6::text
         ORDER BY cs.created_at DESC LIMIT 1
      ) key_session ON true
      LEFT JOIN LATERAL (
        SELECT cs.stripe_session_id FROM ${sessions} ORDER BY cs.created_at DESC, cs.id DESC LIMIT 1
      ) latest ON true`;
}

/** What a project's webhook endpoint for one mode needs: the signing secret, and the key to re-fetch objects with. */
export interface WebhookContext {
  /** Decrypts on call. */
  webhookSecret: () => string;
  /** Null when the mode has a signing secret but no secret key: events can be verified, not processed. */
  credentials: { decryptSecretKey: () => string; version: number } | null;
}

interface PortalContextRow {
  is_active: boolean | null;
  allowed_return_url_origins: string[] | null;
  secret_key_enc: string | null;
  portal_configuration_id: string | null;
  credentials_version: number | null;
  stripe_customer_id: string | null;
}

/** The portal's one round trip per mode, as named prepared statements (parsed and planned once per connection). */
export const PORTAL_CONTEXT_SQL = {
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

/** The plaintext of each secret column after a write: what its masked view is made from, without decrypting again. */
type SecretPlaintexts = Record<SecretColumn, string | null>;

/** What a partial update changes in a stored configuration; no fields means there is nothing to write. */
interface ConfigChange {
  data: Record<string, unknown>;
  fields: StripeConfigField[];
  modesWithNewCredentials: Set<StripeMode>;
  secrets: SecretPlaintexts;
}

/** Stored secrets grouped by format and key id (the first two parts of `v1.<key id>.<iv>.<tag>.<data>`). */
const SECRET_KEYS_SQL = {
  name: 'stored_secret_keys',
  text: `
    SELECT split_part(secret, '.', 1) AS format, split_part(secret, '.', 2) AS key_id, min(secret) AS sample,
           count(*)::int AS secrets, count(DISTINCT project_id)::int AS projects
      FROM stripe_configs
     CROSS JOIN LATERAL unnest(ARRAY[test_secret_key_enc, test_webhook_secret_enc,
                                     live_secret_key_enc, live_webhook_secret_enc]) AS secret
     WHERE secret IS NOT NULL
     GROUP BY 1, 2`,
  values: [],
};

interface SecretKeyRow {
  format: string;
  key_id: string;
  sample: string;
  secrets: number;
  projects: number;
}

/** PostgreSQL's undefined_table: the schema is not migrated yet, so nothing is stored. */
const UNDEFINED_TABLE = '42P01';

/**
 * The Stripe configuration aggregate: a project's keys (secrets encrypted at rest), their masked view, partial
 * updates with their history, and the decrypted credentials that server-side Stripe calls need.
 */
@Injectable()
export class StripeConfigRepository {
  private readonly logger = new Logger('StripeConfig');

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
   * changed, all in one transaction. A field equal to what is stored is no change: a PUT that changes nothing writes
   * and records nothing. A mode's configured-at time and the credentials version move only when that mode's
   * credentials change, so cached Stripe clients are replaced exactly on rotation. The masked answer is made inside
   * the transaction from the plaintexts at hand, so nothing can fail once the change is committed.
   */
  async update(projectId: string, actor: ConfigActor, patch: StripeConfigPatch): Promise<MaskedStripeConfig> {
    const now = new Date();
    try {
      return await this.prisma.$transaction(async (tx) => {
        const { count: created } = await tx.stripeConfig.createMany({
          data: [{ projectId, createdAt: now }],
          skipDuplicates: true,
        });
        // Concurrent writers of one configuration take turns: each compares against what the previous one wrote.
        await tx.$queryRaw`SELECT 1 FROM stripe_configs WHERE project_id = ${projectId}::uuid FOR UPDATE`;
        const stored = await tx.stripeConfig.findUniqueOrThrow({ where: { projectId } });
        const change = this.changeOf(stored, patch);
        const reactivated = !stored.isActive;
        if (created === 0 && change.fields.length === 0 && !reactivated) return this.masked(stored, change.secrets);

        const configuredAt = Object.fromEntries(
          [...change.modesWithNewCredentials].map((mode) => [`${mode}ConfiguredAt`, now]),
        );
        const saved = await tx.stripeConfig.update({
          where: { projectId },
          data: {
            ...change.data,
            ...configuredAt,
            isActive: true,
            ...(change.modesWithNewCredentials.size > 0 && { credentialsVersion: { increment: 1 } }),
          },
        });
        const fields: string[] = reactivated ? [...change.fields, 'is_active'] : change.fields;
        await tx.stripeConfigChange.create({
          data: { projectId, ...actorColumns(actor), action: 'update', fields },
        });
        return this.masked(saved, change.secrets);
      });
    } catch (error) {
      // Only an operator can name a project that does not exist: the API checked ownership first.
      if (isForeignKeyViolation(error)) throw new ProjectNotFound(projectId);
      throw error;
    }
  }

  /**
   * Deactivates the configuration (the portal then answers 404); keys, customers and history stay. Deactivating an
   * inactive configuration changes and records nothing.
   */
  async deactivate(projectId: string, actor: ConfigActor): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.stripeConfig.updateMany({
        where: { projectId, isActive: true },
        data: { isActive: false },
      });
      if (count === 0) {
        const exists = await tx.stripeConfig.count({ where: { projectId } });
        if (exists === 0) throw new StripeConfigNotFound();
        return;
      }
      await tx.stripeConfigChange.create({
        data: { projectId, ...actorColumns(actor), action: 'deactivate', fields: ['is_active'] },
      });
    });
  }

  /** One page of the history, newest first. */
  async history(projectId: string, page: { page: number; pageSize: number }): Promise<StripeConfigHistoryPage> {
    const where = { projectId };
    const [changes, total] = await this.prisma.$transaction([
      this.prisma.stripeConfigChange.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: (page.page - 1) * page.pageSize,
        take: page.pageSize,
        select: { id: true, actorType: true, actorId: true, action: true, fields: true, createdAt: true },
      }),
      this.prisma.stripeConfigChange.count({ where }),
    ]);
    return { changes, total };
  }

  /** The mode's secret key of an active configuration, decrypted; undefined when there is none (or it is deactivated). */
  async credentialsFor(projectId: string, mode: StripeMode): Promise<StoredStripeCredentials | undefined> {
    const config = await this.prisma.stripeConfig.findFirst({
      where: { projectId, isActive: true },
      select: { testSecretKey: true, liveSecretKey: true, credentialsVersion: true },
    });
    const ciphertext = mode === 'test' ? config?.testSecretKey : config?.liveSecretKey;
    if (!config || !ciphertext) return undefined;
    return {
      secretKey: this.readSecret(projectId, `${mode}SecretKey`, ciphertext),
      version: config.credentialsVersion,
    };
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
        decryptSecretKey: () => this.readSecret(projectId, `${mode}SecretKey`, ciphertext),
        version: row.credentials_version,
        portalConfigurationId: row.portal_configuration_id,
      },
    };
  }

  /** An active configuration's mode key and allowed prices, for changes to an end user's subscription. */
  async findSubscriptionChangeContext(projectId: string, mode: StripeMode): Promise<SubscriptionChangeContext> {
    const config = await this.prisma.stripeConfig.findUnique({
      where: { projectId },
      select: {
        isActive: true,
        testSecretKey: true,
        liveSecretKey: true,
        credentialsVersion: true,
        allowedPriceIds: true,
      },
    });
    const ciphertext = mode === 'test' ? config?.testSecretKey : config?.liveSecretKey;
    if (!config?.isActive || !ciphertext) return { status: 'not-configured' };
    return {
      status: 'configured',
      allowedPriceIds: config.allowedPriceIds ?? [],
      credentials: {
        decryptSecretKey: () => this.readSecret(projectId, `${mode}SecretKey`, ciphertext),
        version: config.credentialsVersion,
      },
    };
  }

  /**
   * The mode's webhook signing secret and secret key, active or not (a deactivated configuration still receives its
   * events); undefined when the project has no signing secret for the mode.
   */
  async findWebhookContext(projectId: string, mode: StripeMode): Promise<WebhookContext | undefined> {
    const config = await this.prisma.stripeConfig.findUnique({
      where: { projectId },
      select: {
        testWebhookSecret: true,
        testSecretKey: true,
        liveWebhookSecret: true,
        liveSecretKey: true,
        credentialsVersion: true,
      },
    });
    const webhookSecret = mode === 'test' ? config?.testWebhookSecret : config?.liveWebhookSecret;
    const secretKey = mode === 'test' ? config?.testSecretKey : config?.liveSecretKey;
    if (!config || !webhookSecret) return undefined;
    return {
      webhookSecret: () => this.readSecret(projectId, `${mode}WebhookSecret`, webhookSecret),
      credentials: secretKey
        ? {
            decryptSecretKey: () => this.readSecret(projectId, `${mode}SecretKey`, secretKey),
            version: config.credentialsVersion,
          }
        : null,
    };
  }

  /**
   * Everything a checkout decides on, read in one round trip that also takes the user's lease (see
   * checkoutContextSql): the configuration and its mode's credentials, the user's customer, their subscriptions and
   * their sessions. A project that is not configured takes no lease.
   */
  async findCheckoutContext(
    projectId: string,
    userId: string,
    mode: StripeMode,
    lease: CheckoutLease,
    idempotencyKeyDigest: string | null,
  ): Promise<CheckoutContext> {
    const rows = await this.prisma.queryRows<CheckoutContextRow>({
      ...CHECKOUT_CONTEXT_SQL[mode],
      values: [projectId, userId, lease.key, lease.holder, Math.round(lease.ttlMs), idempotencyKeyDigest],
    });
    const row = rows[0];
    if (!row || !row.is_active || !row.secret_key_enc) return { status: 'not-configured' };
    const ciphertext = row.secret_key_enc;
    const keySession =
      row.key_session_id && row.key_session_url && row.key_session_idempotency_key
        ? {
            stripeSessionId: row.key_session_id,
            url: row.key_session_url,
            idempotencyKey: row.key_session_idempotency_key,
          }
        : null;
    return {
      status: 'configured',
      lease: !row.lease_taken ? 'busy' : row.lease_was_held ? 'stale' : 'held',
      allowedReturnUrlOrigins: row.allowed_return_url_origins ?? [],
      allowedPriceIds: row.allowed_price_ids ?? [],
      trialPeriodDays: row.trial_period_days,
      credentials: {
        decryptSecretKey: () => this.readSecret(projectId, `${mode}SecretKey`, ciphertext),
        version: row.credentials_version,
      },
      stripeCustomerId: row.stripe_customer_id,
      hasCurrentSubscription: row.has_current_subscription,
      hadSubscription: row.had_subscription,
      openSubscriptionSessionId: row.open_session_id,
      sessionForKey: keySession,
      latestSessionId: row.latest_session_id,
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

  /**
   * Stored secrets whose key this service does not hold (neither SECRETS_ENCRYPTION_KEY nor a previous key), by key:
   * one aggregate query, no decryption.
   */
  async secretsWithoutKey(): Promise<SecretsWithoutKey[]> {
    let rows: SecretKeyRow[];
    try {
      rows = await this.prisma.queryRows<SecretKeyRow>(SECRET_KEYS_SQL);
    } catch (error) {
      if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return [];
      throw error;
    }
    return rows
      .filter((row) => !this.cipher.holdsKeyFor(row.sample))
      .map((row) => ({ keyId: row.format === 'v1' ? row.key_id : null, secrets: row.secrets, projects: row.projects }));
  }

  /** What `patch` changes in `stored`, and the plaintext of every secret column afterwards. */
  private changeOf(stored: StripeConfig, patch: StripeConfigPatch): ConfigChange {
    const change: ConfigChange = {
      data: {},
      fields: [],
      modesWithNewCredentials: new Set(),
      secrets: { testSecretKey: null, testWebhookSecret: null, liveSecretKey: null, liveWebhookSecret: null },
    };
    for (const [field, spec] of Object.entries(FIELDS) as [StripeConfigField, (typeof FIELDS)[StripeConfigField]][]) {
      const requested = patch[field];
      const column = spec.column;
      const ciphertext = spec.secret ? (stored[column] as string | null) : null;
      if (requested === undefined || (requested === null && !spec.nullClears)) {
        // Kept: a secret's plaintext is still needed for the masked answer (an unreadable one refuses the write).
        if (spec.secret && ciphertext)
          change.secrets[column as SecretColumn] = this.readSecret(stored.projectId, column, ciphertext);
        continue;
      }
      const next = requested === '' ? null : requested;
      // A secret the service cannot read is replaced, never compared: that is how a developer repairs it.
      const current = spec.secret
        ? ciphertext && this.tryReadSecret(stored.projectId, column, ciphertext)
        : (stored[column] as StoredValue);
      if (spec.secret) change.secrets[column as SecretColumn] = next as string | null;
      if (sameValue(current, next)) continue;
      change.fields.push(field);
      change.data[column] =
        spec.secret && typeof next === 'string'
          ? this.cipher.encrypt(next, stripeSecretContext(stored.projectId, column))
          : next;
      if (spec.credential && spec.mode) change.modesWithNewCredentials.add(spec.mode);
    }
    return change;
  }

  /** A stored secret, decrypted; one no configured key decrypts is logged (by column, never a value) and refused. */
  private readSecret(projectId: string, column: string, ciphertext: string): string {
    try {
      return this.cipher.decrypt(ciphertext, stripeSecretContext(projectId, column));
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      this.logger.error(`Stored ${column} of project ${projectId}: ${error.message}`);
      throw new StoredSecretUnreadable();
    }
  }

  private tryReadSecret(projectId: string, column: string, ciphertext: string): string | undefined {
    try {
      return this.cipher.decrypt(ciphertext, stripeSecretContext(projectId, column));
    } catch (error) {
      if (error instanceof SecretDecryptionError) return undefined;
      throw error;
    }
  }

  /** The developer's view: secrets masked, from the given plaintexts or else decrypted from the row. */
  private masked(config: StripeConfig, plaintexts?: SecretPlaintexts): MaskedStripeConfig {
    const secret = (column: SecretColumn) => {
      const stored = config[column];
      if (!stored) return null;
      return maskSecret(plaintexts?.[column] ?? this.readSecret(config.projectId, column, stored));
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
      allowedPriceIds: config.allowedPriceIds ?? [],
      trialPeriodDays: config.trialPeriodDays,
      pastDueGraceDays: config.pastDueGraceDays,
      testConfiguredAt: config.testConfiguredAt,
      liveConfiguredAt: config.liveConfiguredAt,
      createdAt: config.createdAt,
      updatedAt: config.updatedAt,
    };
  }
}

type StoredValue = string | string[] | number | null;

/** Equal values, and lists with the same items in the same order (an undecryptable secret equals nothing). */
function sameValue(current: StoredValue | undefined, next: StoredValue): boolean {
  if (Array.isArray(current) && Array.isArray(next)) {
    return current.length === next.length && current.every((item, index) => item === next[index]);
  }
  return current === next;
}

function actorColumns(actor: ConfigActor): { actorType: ConfigActor['type']; actorId: string | null } {
  return { actorType: actor.type, actorId: actor.type === 'developer' ? actor.id : null };
}
