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
import { subscriptionChangeFailures } from './subscription-stripe-failures.js';

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

/** The user's subscription, its project's Stripe client and allowed prices: what every change starts from. */
interface ChangeScope {
  user: EndUserPrincipal;
  mode: StripeMode;
  stripe: Stripe;
  subscription: Subscription;
  allowedPriceIds: string[];
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
    return this.answerOnce(user, mode, 'cancel-subscription', request, idempotencyKey, async (options) => {
      const scope = await this.scope(user, mode, NO_SUBSCRIPTION_TO_CANCEL);
      const id = scope.subscription.stripeSubscriptionId;
      const canceled = request.cancel_immediately
        ? await this.call(scope, 'subscriptions.cancel', NO_SUBSCRIPTION_TO_CANCEL, (stripe) =>
            stripe.subscriptions.cancel(id, { expand: SUBSCRIPTION_EXPAND }, options),
          )
        : await this.call(scope, 'subscriptions.update', NO_SUBSCRIPTION_TO_CANCEL, (stripe) =>
            stripe.subscriptions.update(id, { cancel_at_period_end: true, expand: SUBSCRIPTION_EXPAND }, options),
          );
      await this.record(scope, canceled);
      return {
        subscription_id: canceled.id,
        status: canceled.status,
        cancel_at: isoTime(canceled.cancel_at),
        cancelled_at: isoTime(canceled.canceled_at),
        message: request.cancel_immediately ? CANCELED_IMMEDIATELY : CANCELED_AT_PERIOD_END,
      };
    });
  }

  /** Moves the subscription's item to another price, keeping its quantity. */
  update(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: UpdateSubscriptionRequest,
    idempotencyKey?: string,
  ): Promise<UpdateSubscriptionResponse> {
    return this.answerOnce(user, mode, 'update-subscription', request, idempotencyKey, async (options) => {
      const scope = await this.scope(user, mode, NO_SUBSCRIPTION_TO_UPDATE);
      const change = await this.checkPlanChange(scope, request.new_price_id);
      const updated = await this.call(scope, 'subscriptions.update', NO_SUBSCRIPTION_TO_UPDATE, (stripe) =>
        stripe.subscriptions.update(
          change.stripeSubscription.id,
          {
            // The item's id replaces its price (without it Stripe adds a second item); the quantity is kept only if
            // sent.
            items: [{ id: change.item.id, price: change.price.id, quantity: change.item.quantity ?? 1 }],
            proration_behavior: request.proration_behavior,
            expand: SUBSCRIPTION_EXPAND,
          },
          options,
        ),
      );
      await this.record(scope, updated);
      return {
        subscription_id: updated.id,
        status: updated.status,
        price_id: updated.items.data[0]?.price.id ?? change.price.id,
        message: PLAN_UPDATED,
      };
    });
  }

  /** What update() would cost, from Stripe's invoice preview; nothing changes. */
  async preview(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: UpdateSubscriptionRequest,
  ): Promise<SubscriptionChangePreviewResponse> {
    const scope = await this.scope(user, mode, NO_SUBSCRIPTION_TO_UPDATE);
    const change = await this.checkPlanChange(scope, request.new_price_id);
    const invoice = await this.call(scope, 'invoices.create_preview', NO_SUBSCRIPTION_TO_UPDATE, (stripe) =>
      stripe.invoices.createPreview({
        customer: scope.subscription.stripeCustomerId,
        subscription: change.stripeSubscription.id,
        subscription_details: {
          items: [{ id: change.item.id, price: change.price.id, quantity: change.item.quantity ?? 1 }],
          proration_behavior: request.proration_behavior,
        },
      }),
    );
    const prorationTotal = invoice.lines.data
      .filter((line) => line.parent?.subscription_item_details?.proration === true)
      .reduce((sum, line) => sum + line.amount, 0);
    // always_invoice previews the invoice made now; the others, the next regular one.
    const invoicedNow = request.proration_behavior === 'always_invoice';
    const nextPeriod = (change.price.unit_amount ?? 0) * (change.item.quantity ?? 1);
    return {
      amount_due_now: invoicedNow ? invoice.amount_due : 0,
      next_invoice_amount: invoicedNow ? nextPeriod : invoice.amount_due,
      proration_total: prorationTotal,
      currency: invoice.currency,
    };
  }

  /** Undoes a cancellation scheduled at period end (Stripe's resume is for paused subscriptions). */
  reactivate(
    user: EndUserPrincipal,
    mode: StripeMode,
    idempotencyKey?: string,
  ): Promise<ReactivateSubscriptionResponse> {
    return this.answerOnce(user, mode, 'reactivate-subscription', {}, idempotencyKey, async (options) => {
      const scope = await this.scope(user, mode, NO_CANCELLATION_SCHEDULED);
      if (!scope.subscription.cancelAtPeriodEnd) throw new NotFoundException({ detail: NO_CANCELLATION_SCHEDULED });
      const reactivated = await this.call(scope, 'subscriptions.update', NO_CANCELLATION_SCHEDULED, (stripe) =>
        stripe.subscriptions.update(
          scope.subscription.stripeSubscriptionId,
          { cancel_at_period_end: false, expand: SUBSCRIPTION_EXPAND },
          options,
        ),
      );
      await this.record(scope, reactivated);
      return {
        subscription_id: reactivated.id,
        status: reactivated.status,
        current_period_end: isoTime(reactivated.items.data[0]?.current_period_end),
        message: REACTIVATED,
      };
    });
  }

  /**
   * Without an Idempotency-Key, the change as asked. With one, scoped to the operation, project, user and mode: a
   * retry with the same parameters gets the first success's answer again (for 24 hours, whatever the subscription
   * became since), the same key with other parameters is a 409, and Stripe gets the scoped digest as its idempotency
   * key, so a retry after a failure or a lost answer is applied at most once.
   */
  private async answerOnce<T>(
    user: EndUserPrincipal,
    mode: StripeMode,
    operation: string,
    parameters: object,
    clientKey: string | undefined,
    change: (options: Stripe.RequestOptions | undefined) => Promise<T>,
  ): Promise<T> {
    if (clientKey === undefined) return change(undefined);
    const keyDigest = sha256([operation, user.projectId, user.userId, mode, clientKey]);
    const requestDigest = sha256(parameters);
    const remembered = await this.answers.find(keyDigest);
    if (remembered) {
      if (remembered.requestDigest !== requestDigest) {
        throw new ConflictException({ detail: IDEMPOTENCY_KEY_REUSED_DETAIL });
      }
      return remembered.response as T;
    }
    const answer = await change({ idempotencyKey: `subscription-${keyDigest}` });
    await this.answers.remember(keyDigest, user.projectId, requestDigest, answer);
    return answer;
  }

  /** The configuration first (404 when not configured), then the user's current subscription (404 without one). */
  private async scope(user: EndUserPrincipal, mode: StripeMode, noSubscriptionDetail: string): Promise<ChangeScope> {
    const context = await this.configs.findSubscriptionChangeContext(user.projectId, mode);
    if (context.status === 'not-configured') throw new NotFoundException({ detail: PROJECT_NOT_CONFIGURED });
    const current = await this.subscriptions.findCurrentForUser(user.projectId, mode, user.userId);
    if (!current) throw new NotFoundException({ detail: noSubscriptionDetail });
    const stripe = this.stripeClients.clientFor({
      projectId: user.projectId,
      mode,
      version: context.credentials.version,
      secretKey: context.credentials.decryptSecretKey,
    });
    return { user, mode, stripe, subscription: current.subscription, allowedPriceIds: context.allowedPriceIds };
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

  private async call<T>(
    scope: ChangeScope,
    operation: StripeOperation,
    noSubscriptionDetail: string,
    request: (stripe: Stripe) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.stripeCalls.run(operation, scope.user.projectId, () => request(scope.stripe));
    } catch (error) {
      throw answerStripeFailure(
        classifyStripeFailure(error),
        scope.mode,
        subscriptionChangeFailures(noSubscriptionDetail),
      );
    }
  }

  /** Stripe's answer, written now; never over a state fetched later (the webhook's re-fetch writes the same). */
  private record(scope: ChangeScope, subscription: Stripe.Subscription): Promise<void> {
    return this.subscriptions.record(scope.user.projectId, scope.mode, subscriptionSnapshot(subscription, new Date()));
  }
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function isoTime(seconds: number | null | undefined): string | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000).toISOString();
}
