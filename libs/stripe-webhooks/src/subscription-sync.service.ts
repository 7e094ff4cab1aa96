import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import {
  isNotEnded,
  LeaseBusyError,
  LeasesRepository,
  PaymentsRepository,
  SubscriptionsRepository,
} from '#libs/billing-records';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import type { StripeMode } from '#libs/config';
import { PrismaService } from '#libs/database';
import { StripeConfigRepository, StripeCustomersRepository } from '#libs/projects';
import { classifyStripeFailure, StripeCalls, StripeClientFactory } from '#libs/stripe';
import { answerStripeFailure, type StripeFailureOverride } from '#libs/stripe-http';
import { belongsToAnotherProject, idOf, subscriptionSnapshot } from './stripe-snapshots.js';

/** What a sync found in Stripe and did to the local records. */
export interface SyncResult {
  /** Every subscription Stripe listed for the project's key in the mode, whoever's. */
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Listed, but not this project's (another project's metadata, or a customer no user of this project has). */
  ignored: number;
  /** Customer links written again from a subscription's metadata. */
  linksRestored: number;
}

/** Stripe's largest page. */
const PAGE_SIZE = 100;

export const SYNC_ALREADY_RUNNING = (mode: StripeMode) =>
  `A sync of this project's ${mode} mode subscriptions is already running; try again when it has finished`;

/** A sync's hold on its (project, mode): lapses on its own if the process running it dies. */
const SYNC_LEASE_MS = 10 * 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The sync reads; a restricted key needs read access to both. */
const SYNC_FAILURES: readonly StripeFailureOverride[] = [
  {
    outcome: 'permission_error',
    answer: {
      status: 502,
      detail: (_failure, mode) =>
        `The project's ${mode} mode Stripe key lacks permission to read subscriptions or products; use a secret key, or grant the restricted key read access to Subscriptions and Products`,
    },
  },
];

/**
 * The recovery when webhooks were missed: re-reads every subscription of the project's Stripe account in the mode and
 * writes what Stripe says now, as the webhooks would have. Only subscriptions whose metadata names this project, or
 * whose customer a user of this project is linked to, are kept. Payments are not read: only later invoice events
 * record them.
 */
@Injectable()
export class SubscriptionSyncService {
  constructor(
    private readonly configs: StripeConfigRepository,
    private readonly customers: StripeCustomersRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly payments: PaymentsRepository,
    private readonly stripeClients: StripeClientFactory,
    private readonly stripeCalls: StripeCalls,
    private readonly prisma: PrismaService,
    private readonly leases: LeasesRepository,
  ) {}

  /**
   * Pages through `subscriptions.list` (all statuses, newest first), one Stripe call per page, each with its own
   * deadline, writing each page before the next is read. A failure answers at once; what was written stays, and a
   * second run finishes the job (a run changes nothing already up to date).
   */
  async sync(projectId: string, mode: StripeMode): Promise<SyncResult> {
    // One sync of a project's mode at a time, across processes: a second one would only read the same pages again.
    try {
      return await this.leases.withLease(`sync:${projectId}:${mode}`, { ttlMs: SYNC_LEASE_MS, waitMs: 0 }, () =>
        this.syncHeld(projectId, mode),
      );
    } catch (error) {
      if (error instanceof LeaseBusyError) throw new ConflictException({ detail: SYNC_ALREADY_RUNNING(mode) });
      throw error;
    }
  }

  private async syncHeld(projectId: string, mode: StripeMode): Promise<SyncResult> {
    const credentials = await this.configs.credentialsFor(projectId, mode);
    if (!credentials) throw new NotFoundException({ detail: PROJECT_NOT_CONFIGURED });
    const stripe = this.stripeClients.clientFor({
      projectId,
      mode,
      version: credentials.version,
      secretKey: () => credentials.secretKey,
    });
    const scope: SyncScope = { projectId, mode, stripe, products: new Map() };
    const result: SyncResult = { fetched: 0, created: 0, updated: 0, unchanged: 0, ignored: 0, linksRestored: 0 };
    let startingAfter: string | undefined;
    do {
      const page = await this.call(scope, 'subscriptions.list', () =>
        stripe.subscriptions.list({
          status: 'all',
          limit: PAGE_SIZE,
          ...(startingAfter !== undefined && { starting_after: startingAfter }),
        }),
      );
      const fetchedAt = new Date();
      result.fetched += page.data.length;
      await this.writePage(scope, page.data, fetchedAt, result);
      startingAfter = page.has_more ? page.data.at(-1)?.id : undefined;
    } while (startingAfter !== undefined);
    return result;
  }

  private async writePage(
    scope: SyncScope,
    page: Stripe.Subscription[],
    fetchedAt: Date,
    result: SyncResult,
  ): Promise<void> {
    const { projectId, mode } = scope;
    const linked = await this.customers.linkedCustomers(
      projectId,
      mode,
      page.map((subscription) => idOf(subscription.customer)),
    );
    for (const subscription of page) {
      const customerId = idOf(subscription.customer);
      const namedHere = subscription.metadata?.project_id === projectId;
      if (belongsToAnotherProject(subscription.metadata, projectId) || !(namedHere || linked.has(customerId))) {
        result.ignored += 1;
        continue;
      }
      const snapshot = subscriptionSnapshot(await this.withProductName(scope, subscription), fetchedAt);
      // Only this service's own metadata is trusted to name a user: it was written for this project. An ended
      // subscription restores nothing: its customer may be deleted, or unlinked on purpose since.
      const owner = namedHere && isNotEnded(subscription.status) ? userIdOf(subscription.metadata) : undefined;
      const restore = owner !== undefined && !linked.has(customerId) ? owner : undefined;
      const written = await this.prisma.$transaction(async (tx) => {
        // The link first: the subscription takes its user from it. A link of the customer to someone else, or of the
        // user to another customer, stands: the subscription then keeps the user its customer's link gives, if any.
        const restored =
          restore !== undefined && (await this.customers.restoreLink(tx, projectId, restore, mode, customerId));
        if (restored) {
          await this.subscriptions.assignUser(tx, projectId, mode, customerId, restore);
          await this.payments.assignUser(tx, projectId, mode, customerId, restore);
        }
        return { restored, outcome: await this.subscriptions.save(tx, projectId, mode, snapshot) };
      });
      if (written.restored) {
        result.linksRestored += 1;
        linked.add(customerId);
      }
      result[written.outcome] += 1;
    }
  }

  /**
   * The plan name is the price's nickname, else its product's name: a list cannot expand the product (five levels,
   * Stripe stops at four), so each product is fetched once per sync, and only when the nickname is missing.
   */
  private async withProductName(scope: SyncScope, subscription: Stripe.Subscription): Promise<Stripe.Subscription> {
    const price = subscription.items.data[0]?.price;
    if (!price || price.nickname || typeof price.product !== 'string') return subscription;
    const productId = price.product;
    if (!scope.products.has(productId)) scope.products.set(productId, await this.product(scope, productId));
    const product = scope.products.get(productId);
    if (!product) return subscription;
    const [item, ...rest] = subscription.items.data;
    return {
      ...subscription,
      items: { ...subscription.items, data: [{ ...item, price: { ...price, product } }, ...rest] },
    };
  }

  /** Null for a product Stripe no longer has: the plan name is then unknown, as for a deleted one in a webhook. */
  private async product(scope: SyncScope, productId: string): Promise<Stripe.Product | null> {
    try {
      return await this.stripeCalls.run('products.retrieve', scope.projectId, () =>
        scope.stripe.products.retrieve(productId),
      );
    } catch (error) {
      const failure = classifyStripeFailure(error);
      if (failure.outcome === 'invalid_request' && failure.code === 'resource_missing') return null;
      throw answerStripeFailure(failure, scope.mode, SYNC_FAILURES);
    }
  }

  private async call<T>(
    scope: SyncScope,
    operation: Parameters<StripeCalls['run']>[0],
    request: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.stripeCalls.run(operation, scope.projectId, request);
    } catch (error) {
      throw answerStripeFailure(classifyStripeFailure(error), scope.mode, SYNC_FAILURES);
    }
  }
}

interface SyncScope {
  projectId: string;
  mode: StripeMode;
  stripe: Stripe;
  /** Products fetched so far in this sync (null: Stripe no longer has it). */
  products: Map<string, Stripe.Product | null>;
}

/** The end user this service's metadata names, lower-cased; undefined when it names none (or not a UUID). */
function userIdOf(metadata: Stripe.Metadata | null | undefined): string | undefined {
  const userId = metadata?.user_id;
  return userId !== undefined && UUID.test(userId) ? userId.toLowerCase() : undefined;
}
