import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import { Prisma } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { SecretCipher, stripeSecretContext } from './secret-cipher.js';

export const PROJECT_NOT_FOUND = 'Project not found';

export interface NewProject {
  id?: string;
  name: string;
  ownerId: string;
  description?: string;
}

export interface ModeCredentials {
  secretKey: string;
  publishableKey?: string;
  webhookSecret?: string;
  portalConfigurationId?: string;
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

/** The only place that reads or writes projects, their Stripe configuration and customer mappings. */
@Injectable()
export class ProjectsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cipher: SecretCipher,
  ) {}

  /**
   * Ownership is part of the query: a project that does not exist and one owned by someone else are the same 404,
   * so a developer cannot learn that another's project exists.
   */
  async requireOwnedProject(projectId: string, ownerId: string): Promise<{ id: string; name: string }> {
    const project = await this.prisma.project.findFirst({
      where: { id: projectId, ownerId },
      select: { id: true, name: true },
    });
    if (!project) throw new NotFoundException({ detail: PROJECT_NOT_FOUND });
    return project;
  }

  async createProject(project: NewProject): Promise<{ id: string }> {
    try {
      return await this.prisma.project.create({
        data: { id: project.id, name: project.name, ownerId: project.ownerId, description: project.description },
        select: { id: true },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException({ detail: `Project ${project.id} already exists` });
      throw error;
    }
  }

  /** Sets one mode's credentials (encrypting secrets), activates the configuration and bumps its version. */
  async setModeCredentials(projectId: string, mode: StripeMode, credentials: ModeCredentials): Promise<void> {
    const columns = {
      [`${mode}SecretKey`]: this.cipher.encrypt(
        credentials.secretKey,
        stripeSecretContext(projectId, `${mode}SecretKey`),
      ),
      [`${mode}PublishableKey`]: credentials.publishableKey ?? null,
      [`${mode}WebhookSecret`]: credentials.webhookSecret
        ? this.cipher.encrypt(credentials.webhookSecret, stripeSecretContext(projectId, `${mode}WebhookSecret`))
        : null,
      [`${mode}PortalConfigurationId`]: credentials.portalConfigurationId ?? null,
      [`${mode}ConfiguredAt`]: new Date(),
    };
    try {
      await this.prisma.stripeConfig.upsert({
        where: { projectId },
        create: { projectId, ...columns },
        update: { ...columns, isActive: true, credentialsVersion: { increment: 1 } },
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundException({ detail: `Project ${projectId} not found` });
      throw error;
    }
  }

  async linkCustomer(projectId: string, userId: string, mode: StripeMode, stripeCustomerId: string): Promise<void> {
    try {
      await this.prisma.stripeCustomer.upsert({
        where: { projectId_userId_mode: { projectId, userId, mode } },
        create: { projectId, userId, mode, stripeCustomerId },
        update: { stripeCustomerId },
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException({
          detail: `Stripe customer ${stripeCustomerId} is already linked to another user of this project in ${mode} mode`,
        });
      }
      if (isForeignKeyViolation(error)) throw new NotFoundException({ detail: `Project ${projectId} not found` });
      throw error;
    }
  }

  /** Removes the mapping; false when there was none. */
  async unlinkCustomer(projectId: string, userId: string, mode: StripeMode): Promise<boolean> {
    const { count } = await this.prisma.stripeCustomer.deleteMany({ where: { projectId, userId, mode } });
    return count > 0;
  }

  /** Project, configuration, the mode's credentials and the user's customer: one query, one round trip. */
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
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}
