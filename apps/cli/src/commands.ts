import { Logger, type INestApplicationContext } from '@nestjs/common';
import { AccessTokenSigner } from '#libs/auth';
import { AppConfig } from '#libs/config';
import { applyMigrations, openDatabase, staleLockNotice } from '#libs/database';
import {
  OPERATOR,
  ProjectsRepository,
  StripeConfigRepository,
  StripeConfigService,
  StripeCustomersRepository,
} from '#libs/projects';
import type { Command } from './cli-arguments.js';

/** What a command prints: `json` with --json, otherwise `text`. */
export interface Outcome {
  json: Record<string, unknown>;
  text: string;
}

export async function runCommand(
  app: INestApplicationContext,
  command: Exclude<Command, { name: 'help' }>,
): Promise<Outcome> {
  switch (command.name) {
    case 'project create': {
      const { id } = await app.get(ProjectsRepository).create(command.project);
      return { json: { id }, text: `Created project ${id}` };
    }
    case 'stripe set': {
      const { projectId, mode, patch } = command;
      // The API's own write path: same semantics, same history (as an operator change).
      const config = await app.get(StripeConfigService).update(projectId, OPERATOR, patch);
      const fields = Object.keys(patch).filter((field) => patch[field as keyof typeof patch] !== undefined);
      const secretKey = config.masked[`${mode}_secret_key`];
      return {
        json: { project_id: projectId, mode, fields, secret_key: secretKey },
        text:
          `Set ${fields.join(', ')} of project ${projectId}; ` +
          `its ${mode} secret key is ${secretKey === null ? 'not set' : secretKey}`,
      };
    }
    case 'stripe sync': {
      const { projectId, mode } = command;
      // The API's own service: the same pages, filter, writes and Stripe failure answers (their detail is printed).
      const { SubscriptionSyncService } = await import('#libs/stripe-webhooks');
      const result = await app.get(SubscriptionSyncService).sync(projectId, mode);
      return {
        json: {
          project_id: projectId,
          mode,
          fetched: result.fetched,
          created: result.created,
          updated: result.updated,
          unchanged: result.unchanged,
          ignored: result.ignored,
          links_restored: result.linksRestored,
        },
        text:
          `Synced ${mode} mode subscriptions of project ${projectId} from Stripe: ${result.fetched} fetched, ` +
          `${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.ignored} ` +
          `not this project's; ${result.linksRestored} customer link(s) restored`,
      };
    }
    case 'customer link': {
      const { projectId, userId, mode, customerId } = command;
      await app.get(StripeCustomersRepository).link(projectId, userId, mode, customerId);
      return {
        json: { project_id: projectId, user_id: userId, mode, stripe_customer_id: customerId },
        text: `Linked user ${userId} to ${customerId} in ${mode} mode of project ${projectId}`,
      };
    }
    case 'customer unlink': {
      const { projectId, userId, mode } = command;
      const unlinked = await app.get(StripeCustomersRepository).unlink(projectId, userId, mode);
      return {
        json: { unlinked },
        text: unlinked
          ? `Unlinked user ${userId} from their ${mode} customer in project ${projectId}`
          : `User ${userId} had no ${mode} customer in project ${projectId}`,
      };
    }
    case 'token mint': {
      const token = app.get(AccessTokenSigner).sign(command.mint);
      return { json: { token, expires_in: command.mint.ttlSeconds }, text: token };
    }
    case 'secrets reencrypt': {
      const { reencrypted, configurations } = await app.get(StripeConfigRepository).reencryptSecrets();
      return {
        json: { reencrypted, configurations },
        text: `Re-encrypted ${reencrypted} secret(s) across ${configurations} Stripe configuration(s)`,
      };
    }
    case 'db migrate': {
      const applied = await migrate(app.get(AppConfig));
      return {
        json: { applied },
        text: applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date',
      };
    }
  }
}

// Opened here rather than through DatabaseModule, which would already migrate on start and leave nothing to report.
async function migrate(config: AppConfig): Promise<string[]> {
  const logger = new Logger('Database');
  const connection = await openDatabase(config.database, {
    onLockLost: (error) => {
      logger.error(`Lost the embedded database lock (${error.message}); stopping`);
      process.exit(1);
    },
    onStaleLockTakenOver: (owner) => logger.warn(staleLockNotice(owner)),
  });
  try {
    return await applyMigrations(connection.migrationTarget);
  } finally {
    await connection.close();
  }
}
