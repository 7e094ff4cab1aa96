import { createHash } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import type { EndUserPrincipal } from '#libs/auth';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import {
  IdempotentResponsesRepository,
  isNotEnded,
  SubscriptionsRepository,
  type Subscription,
} from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import { IDEMPOTENCY_KEY_REUSED_DETAIL } from '#libs/http-errors';
import { StripeConfigRepository } from '#libs/projects';
import { classifyStripeFailure, StripeCalls, StripeClientFactory, type StripeOperation } from '#libs/stripe';
import { answerStripeFailure } from '#libs/stripe-http';
import { SUBSCRIPTION_EXPAND, subscriptionSnapshot } from '#libs/stripe-webhooks';
import type {
  CancelSubscriptionRequest,
  CancelSubscriptionResponse,
  ReactivateSubscriptionResponse,
  SubscriptionChangePreviewResponse,
  UpdateSubscriptionRequest,
  UpdateSubscriptionResponse,
} from './subscription-changes.dto.js';
import { ENDED_SUBSCRIPTION_REFUSAL, subscriptionChangeFailures } from './subscription-stripe-failures.js';

export const NO_SUBSCRIPTION_TO_CANCEL = 'No active subscription to cancel';
export const NO_SUBSCRIPTION_TO_UPDATE = 'No active subscription to update';
export const NO_CANCELLATION_SCHEDULED = 'No cancellation scheduled to undo';
export const CANCELED_AT_PERIOD_END = 'Subscription will be canceled at the end of the current billing period.';
export const CANCELED_IMMEDIATELY = 'Subscription has been canceled immediately.';
export const PLAN_UPDATED = 'Subscription updated to new plan successfully.';
export const REACTIVATED = 'Subscription reactivated; it will renew at the end of the current billing period.';

/** Why a price cannot replace the subscription's: each its own 400 detail. */
export const PRICE_REFUSALS = {
  notAllowed: "new_price_id is not among the project's allowed prices",
  current: "new_price_id is already the subscription's price",
  unknown: (mode: StripeMode) => `new_price_id: no such price in this project's Stripe ${mode} mode account`,
  inactive: 'new_price_id: the price is inactive; only active prices can be subscribed to',
  oneTime: 'new_price_id: the price is a one-time price; a subscription needs a recurring price',
  currency: (price: string, subscription: string) =>
    `new_price_id: the price is in ${price.toUpperCase()}; the subscription is billed in ${subscription.toUpperCase()}`,
} as const;

/** The project's Stripe client and allowed prices for the user's mode. */
interface StripeScope {
  user: EndUserPrincipal;
  mode: StripeMode;
  stripe: Stripe;
  allowedPriceIds: string[];
}

/** With the user's subscription: what every change starts from. */
interface ChangeScope extends StripeScope {
  subscription: Subscription;
}

/** The one Stripe call a change makes, kept as sent so that a retry can send it again. */
type SubscriptionCall =
  | { method: 'cancel'; id: string; params: Stripe.SubscriptionCancelParams }
  | { method: 'update'; id: string; params: Stripe.SubscriptionUpdateParams };

/** What a change is: its checks and Stripe call (plan), and its answer from Stripe's subscription. */
interface ChangeSteps<T> {
  operation: string;
  /** The 404 detail when the user has no subscription to change. */
  noSubscription: string;
  plan(scope: ChangeScope): Promise<SubscriptionCall>;
  answer(subscription: Stripe.Subscription): T;
}

/** A plan change that passed every check: the item to change, and the price it moves to. */
interface PlanChange {
  stripeSubscription: Stripe.Subscription;
  item: Stripe.SubscriptionItem;
  price: Stripe.Price;
}

/**
 * Changes an end user's own subscription (the one GET .../my-subscription shows) through Stripe with their project's
 * keys, and records Stripe's answer at once: the webhook that follows finds nothing left to change.
 */
@Injectable()
export class SubscriptionChangesService {
  constructor(
    private readonly configs: StripeConfigRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly answers: IdempotentResponsesRepository,
    private readonly stripeClients: StripeClientFactory,
    private readonly stripeCalls: StripeCalls,
  ) {}

  /** At period end (cancel_at_period_end, again the same answer when already scheduled) or at once. */
  cancel(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: CancelSubscriptionRequest,
    idempotencyKey?: string,
  ): Promise<CancelSubscriptionResponse> {
    const change: ChangeSteps<CancelSubscriptionResponse> = {
      operation: 'cancel-subscription',
      noSubscription: NO_SUBSCRIPTION_TO_CANCEL,
      plan: async ({ subscription }) =>
        request.cancel_immediately
          ? { method: 'cancel', id: subscription.stripeSubscriptionId, params: { expand: SUBSCRIPTION_EXPAND } }
          : {
              method: 'update',
              id: subscription.stripeSubscriptionId,
              params: { cancel_at_period_end: true, expand: SUBSCRIPTION_EXPAND },
            },
      answer: (canceled) => ({
        subscription_id: canceled.id,
        status: canceled.status,
        cancel_at: isoTime(canceled.cancel_at),
        cancelled_at: isoTime(canceled.canceled_at),
        message: request.cancel_immediately ? CANCELED_IMMEDIATELY : CANCELED_AT_PERIOD_END,
      }),
    };
    return this.apply(user, mode, request, idempotencyKey, change);
  }

  /** Moves the subscription's item to another price, keeping its quantity. */
  update(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: UpdateSubscriptionRequest,
    idempotencyKey?: string,
  ): Promise<UpdateSubscriptionResponse> {
    const change: ChangeSteps<UpdateSubscriptionResponse> = {
      operation: 'update-subscription',
      noSubscription: NO_SUBSCRIPTION_TO_UPDATE,
      plan: async (scope) => {
        const { stripeSubscription, item, price } = await this.checkPlanChange(scope, request.new_price_id);
        return {
          method: 'update',
          id: stripeSubscription.id,
          params: {
            // The item's id replaces its price (without it Stripe adds a second item); the quantity is kept only if
            // sent.
            items: [{ id: item.id, price: price.id, quantity: item.quantity ?? 1 }],
            proration_behavior: request.proration_behavior,
            expand: SUBSCRIPTION_EXPAND,
          },
        };
      },
      answer: (updated) => ({
        subscription_id: updated.id,
        status: updated.status,
        price_id: updated.items.data[0]?.price.id ?? request.new_price_id,
        message: PLAN_UPDATED,
      }),
    };
    return this.apply(user, mode, request, idempotencyKey, change);
  }

  /**
   * What update() would cost, from Stripe's invoice previews (its prices, tiers, coupons and taxes); nothing changes.
   * `always_invoice` previews the invoice made now, so the next regular one is a second preview without prorations.
   */
  async preview(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: UpdateSubscriptionRequest,
  ): Promise<SubscriptionChangePreviewResponse> {
    const scope = await this.scope(user, mode, NO_SUBSCRIPTION_TO_UPDATE);
    const change = await this.checkPlanChange(scope, request.new_price_id);
    const previewWith = (prorationBehavior: UpdateSubscriptionRequest['proration_behavior']) =>
      this.call(scope, 'invoices.create_preview', NO_SUBSCRIPTION_TO_UPDATE, (stripe) =>
        stripe.invoices.createPreview({
          customer: scope.subscription.stripeCustomerId,
          subscription: change.stripeSubscription.id,
          subscription_details: {
            items: [{ id: change.item.id, price: change.price.id, quantity: change.item.quantity ?? 1 }],
            proration_behavior: prorationBehavior,
          },
        }),
      );
    const invoice = await previewWith(request.proration_behavior);
    const prorationTotal = invoice.lines.data
      .filter((line) => line.parent?.subscription_item_details?.proration === true)
      .reduce((sum, line) => sum + line.amount, 0);
    const invoicedNow = request.proration_behavior === 'always_invoice';
    return {
      amount_due_now: invoicedNow ? invoice.amount_due : 0,
      next_invoice_amount: invoicedNow ? (await previewWith('none')).amount_due : invoice.amount_due,
      proration_total: prorationTotal,
      currency: invoice.currency,
    };
  }

  /** Undoes a scheduled cancellation, at period end or on a date (Stripe's resume is for paused subscriptions). */
  reactivate(
    user: EndUserPrincipal,
    mode: StripeMode,
    idempotencyKey?: string,
  ): Promise<ReactivateSubscriptionResponse> {
    const change: ChangeSteps<ReactivateSubscriptionResponse> = {
      operation: 'reactivate-subscription',
      noSubscription: NO_CANCELLATION_SCHEDULED,
      plan: async ({ subscription }) => {
        const id = subscription.stripeSubscriptionId;
        // At period end (the portal's way), or on a date (cancel_at, as the Dashboard schedules one): each undone its way.
        if (subscription.cancelAtPeriodEnd) {
          return { method: 'update', id, params: { cancel_at_period_end: false, expand: SUBSCRIPTION_EXPAND } };
        }
        if (subscription.cancelAt !== null) {
          return { method: 'update', id, params: { cancel_at: '', expand: SUBSCRIPTION_EXPAND } };
        }
        throw new NotFoundException({ detail: NO_CANCELLATION_SCHEDULED });
      },
      answer: (reactivated) => ({
        subscription_id: reactivated.id,
        status: reactivated.status,
        current_period_end: isoTime(reactivated.items.data[0]?.current_period_end),
        message: REACTIVATED,
      }),
    };
    return this.apply(user, mode, {}, idempotencyKey, change);
  }

  /**
   * A change: the configuration and the user's subscription, the operation's own checks, one Stripe call, Stripe's
   * answer recorded. With an Idempotency-Key (scoped to the operation, project, user and mode; Stripe gets the digest
   * as its idempotency key): the same key with other parameters is a 409; a retry after a success gets its answer
   * again (24 hours), whatever the subscription became since; a retry after a lost outcome (a timeout, a lost
   * connection, a failure after Stripe's answer) sends the very call again, which Stripe replays if it applied it.
   */
  private async apply<T>(
    user: EndUserPrincipal,
    mode: StripeMode,
    parameters: object,
    clientKey: string | undefined,
    change: ChangeSteps<T>,
  ): Promise<T> {
    const keys =
      clientKey === undefined
        ? undefined
        : {
            keyDigest: sha256([change.operation, user.projectId, user.userId, mode, clientKey]),
            requestDigest: sha256(parameters),
          };
    if (keys) {
      const remembered = await this.answers.find(keys.keyDigest);
      if (remembered && remembered.requestDigest !== keys.requestDigest) {
        throw new ConflictException({ detail: IDEMPOTENCY_KEY_REUSED_DETAIL });
      }
      if (remembered?.response) return remembered.response as T;
      if (remembered) {
        const scope = await this.stripeScope(user, mode);
        return this.send(scope, remembered.stripeCall as SubscriptionCall, keys.keyDigest, change);
      }
    }
    const scope = await this.scope(user, mode, change.noSubscription);
    const call = await change.plan(scope);
    if (keys) await this.answers.begin(keys.keyDigest, user.projectId, keys.requestDigest, call);
    return this.send(scope, call, keys?.keyDigest, change);
  }

  private async send<T>(
    scope: StripeScope,
    call: SubscriptionCall,
    keyDigest: string | undefined,
    change: ChangeSteps<T>,
  ): Promise<T> {
    const options = keyDigest === undefined ? undefined : { idempotencyKey: `subscription-${keyDigest}` };
    const subscription = await this.call(
      scope,
      call.method === 'cancel' ? 'subscriptions.cancel' : 'subscriptions.update',
      change.noSubscription,
      (stripe) =>
        call.method === 'cancel'
          ? stripe.subscriptions.cancel(call.id, call.params, options)
          : stripe.subscriptions.update(call.id, call.params, options),
      call.id,
    );
    await this.record(scope, subscription);
    const answer = change.answer(subscription);
    if (keyDigest !== undefined) await this.answers.succeed(keyDigest, answer);
    return answer;
  }

  /** The project's configuration for the mode (404 when not configured) and its Stripe client. */
  private async stripeScope(user: EndUserPrincipal, mode: StripeMode): Promise<StripeScope> {
    const context = await this.configs.findSubscriptionChangeContext(user.projectId, mode);
    if (context.status === 'not-configured') throw new NotFoundException({ detail: PROJECT_NOT_CONFIGURED });
    const stripe = this.stripeClients.clientFor({
      projectId: user.projectId,
      mode,
      version: context.credentials.version,
      secretKey: context.credentials.decryptSecretKey,
    });
    return { user, mode, stripe, allowedPriceIds: context.allowedPriceIds };
  }

  /** The configuration first (404 when not configured), then the user's current subscription (404 without one). */
  private async scope(user: EndUserPrincipal, mode: StripeMode, noSubscriptionDetail: string): Promise<ChangeScope> {
    const stripeScope = await this.stripeScope(user, mode);
    const current = await this.subscriptions.findCurrentForUser(user.projectId, mode, user.userId);
    if (!current) throw new NotFoundException({ detail: noSubscriptionDetail });
    return { ...stripeScope, subscription: current.subscription };
  }

  /**
   * The price rules, each its own 400: the project's list first (no Stripe call), then against Stripe's current
   * subscription (an ended one is a 404) and price.
   */
  private async checkPlanChange(scope: ChangeScope, newPriceId: string): Promise<PlanChange> {
    const { allowedPriceIds } = scope;
    if (allowedPriceIds.length > 0 && !allowedPriceIds.includes(newPriceId)) {
      throw new BadRequestException({ detail: PRICE_REFUSALS.notAllowed });
    }
    const stripeSubscription = await this.call(scope, 'subscriptions.retrieve', NO_SUBSCRIPTION_TO_UPDATE, (stripe) =>
      stripe.subscriptions.retrieve(scope.subscription.stripeSubscriptionId, { expand: SUBSCRIPTION_EXPAND }),
    );
    if (!isNotEnded(stripeSubscription.status)) {
      // The webhook saying so has not arrived: what Stripe says is recorded now.
      await this.record(scope, stripeSubscription);
      throw new NotFoundException({ detail: NO_SUBSCRIPTION_TO_UPDATE });
    }
    const item = stripeSubscription.items.data[0];
    if (!item) throw new NotFoundException({ detail: NO_SUBSCRIPTION_TO_UPDATE });
    if (item.price.id === newPriceId) throw new BadRequestException({ detail: PRICE_REFUSALS.current });
    const price = await this.retrievePrice(scope, newPriceId);
    if (!price.active) throw new BadRequestException({ detail: PRICE_REFUSALS.inactive });
    if (price.type !== 'recurring') throw new BadRequestException({ detail: PRICE_REFUSALS.oneTime });
    if (price.currency !== stripeSubscription.currency) {
      throw new BadRequestException({
        detail: PRICE_REFUSALS.currency(price.currency, stripeSubscription.currency),
      });
    }
    return { stripeSubscription, item, price };
  }

  private async retrievePrice(scope: ChangeScope, priceId: string): Promise<Stripe.Price> {
    try {
      return await this.stripeCalls.run('prices.retrieve', scope.user.projectId, () =>
        scope.stripe.prices.retrieve(priceId),
      );
    } catch (error) {
      const failure = classifyStripeFailure(error);
      if (failure.outcome === 'invalid_request' && failure.code === 'resource_missing') {
        throw new BadRequestException({ detail: PRICE_REFUSALS.unknown(scope.mode) });
      }
      throw answerStripeFailure(failure, scope.mode, subscriptionChangeFailures(NO_SUBSCRIPTION_TO_UPDATE));
    }
  }

  /**
   * One Stripe call, its failure answered by the shared table with this change's 404. Given the subscription it
   * changes: when Stripe refuses because that subscription has ended, and the webhook saying so has not arrived,
   * what Stripe says is recorded now, so that my-subscription agrees with the 404 at once.
   */
  private async call<T>(
    scope: StripeScope,
    operation: StripeOperation,
    noSubscriptionDetail: string,
    request: (stripe: Stripe) => Promise<T>,
    changedSubscriptionId?: string,
  ): Promise<T> {
    try {
      return await this.stripeCalls.run(operation, scope.user.projectId, () => request(scope.stripe));
    } catch (error) {
      const failure = classifyStripeFailure(error);
      const ended = failure.outcome === 'invalid_request' && ENDED_SUBSCRIPTION_REFUSAL.test(failure.message ?? '');
      if (ended && changedSubscriptionId !== undefined) {
        await this.recordFromStripe(scope, changedSubscriptionId).catch(() => undefined);
      }
      throw answerStripeFailure(failure, scope.mode, subscriptionChangeFailures(noSubscriptionDetail));
    }
  }

  /** Stripe's current state of the subscription, fetched and written now. */
  private async recordFromStripe(scope: StripeScope, subscriptionId: string): Promise<void> {
    const current = await this.stripeCalls.run('subscriptions.retrieve', scope.user.projectId, () =>
      scope.stripe.subscriptions.retrieve(subscriptionId, { expand: SUBSCRIPTION_EXPAND }),
    );
    await this.record(scope, current);
  }

  /** Stripe's answer, written now; never over a state fetched later (the webhook's re-fetch writes the same). */
  private record(scope: StripeScope, subscription: Stripe.Subscription): Promise<void> {
    return this.subscriptions.record(scope.user.projectId, scope.mode, subscriptionSnapshot(subscription, new Date()));
  }
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function isoTime(seconds: number | null | undefined): string | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000).toISOString();
}
