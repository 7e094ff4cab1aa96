import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import {
  CheckoutSessionsRepository,
  PaymentsRepository,
  SubscriptionsRepository,
  type EventOutcome,
  type PaymentSnapshot,
  type SubscriptionSnapshot,
} from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
import { StripeCustomersRepository } from '#libs/projects';
import { StripeCalls } from '#libs/stripe';
import {
  belongsToAnotherProject,
  idOf,
  invoicePaymentSnapshot,
  invoiceSubscriptionId,
  paymentIntentSnapshot,
  SUBSCRIPTION_EXPAND,
  subscriptionSnapshot,
} from './stripe-snapshots.js';

/** Where an event is processed: its project and mode, and that project's Stripe client for the mode. */
export interface EventScope {
  projectId: string;
  mode: StripeMode;
  stripe: Stripe;
}

/** What the payload may be trusted for: Stripe renders it in the endpoint's API version, which may not be ours. */
export interface TrustedEvent {
  id: string;
  type: string;
  objectId: string;
}

/**
 * What processing an event comes to, worked out from what Stripe says now (fetched outside any transaction): the
 * writes, run in the one transaction that also settles the event, and the outcome (a write may decide it).
 */
export interface EventPlan {
  outcome: EventOutcome;
  write?: (tx: DatabaseTransaction) => Promise<EventOutcome | void>;
}

const IGNORED: EventPlan = { outcome: 'ignored' };

const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
]);
const CHECKOUT_PAYMENT_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
]);
const INVOICE_EVENTS = new Set(['invoice.paid', 'invoice.payment_failed']);

/** The event types this service acts on; any other is stored as ignored. */
export const HANDLED_EVENT_TYPES = [
  ...CHECKOUT_PAYMENT_EVENTS,
  'checkout.session.expired',
  ...SUBSCRIPTION_EVENTS,
  ...INVOICE_EVENTS,
  'charge.refunded',
  'customer.deleted',
] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Turns a verified event into writes: it re-fetches the object the event names with the project's pinned client and
 * writes what Stripe says now, never what the payload said. An object another project's metadata claims is ignored.
 */
@Injectable()
export class WebhookEventProcessor {
  constructor(
    private readonly stripeCalls: StripeCalls,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly payments: PaymentsRepository,
    private readonly customers: StripeCustomersRepository,
    private readonly checkoutSessions: CheckoutSessionsRepository,
  ) {}

  async plan(scope: EventScope, event: TrustedEvent): Promise<EventPlan> {
    if (SUBSCRIPTION_EVENTS.has(event.type)) return this.planSubscription(scope, event.objectId);
    if (CHECKOUT_PAYMENT_EVENTS.has(event.type)) return this.planCheckoutPayment(scope, event);
    if (event.type === 'checkout.session.expired') return this.planCheckoutExpired(scope, event.objectId);
    if (INVOICE_EVENTS.has(event.type)) return this.planInvoice(scope, event.objectId);
    if (event.type === 'charge.refunded') return this.planRefund(scope, event.objectId);
    if (event.type === 'customer.deleted') return this.planCustomerDeleted(scope, event.objectId);
    return IGNORED;
  }

  private async planSubscription(scope: EventScope, subscriptionId: string): Promise<EventPlan> {
    const subscription = await this.fetchSubscription(scope, subscriptionId);
    if (belongsToAnotherProject(subscription.metadata, scope.projectId)) return IGNORED;
    const snapshot = subscriptionSnapshot(subscription, new Date());
    return {
      outcome: 'processed',
      write: async (tx) => {
        await this.subscriptions.save(tx, scope.projectId, scope.mode, snapshot);
      },
    };
  }

  private async planCheckoutPayment(scope: EventScope, event: TrustedEvent): Promise<EventPlan> {
    const session = await this.call(scope, 'checkout.sessions.retrieve', (stripe) =>
      stripe.checkout.sessions.retrieve(event.objectId),
    );
    if (belongsToAnotherProject(session.metadata, scope.projectId)) return IGNORED;
    const customerId = idOf(session.customer);
    const candidateUser = session.metadata?.user_id ?? session.client_reference_id;
    const userId = candidateUser && UUID.test(candidateUser) ? candidateUser.toLowerCase() : null;

    let subscription: SubscriptionSnapshot | undefined;
    let payment: PaymentSnapshot | undefined;
    const subscriptionId = idOf(session.subscription);
    const paymentIntentId = idOf(session.payment_intent);
    if (session.mode === 'subscription' && subscriptionId) {
      const fetched = await this.fetchSubscription(scope, subscriptionId);
      subscription = subscriptionSnapshot(fetched, new Date());
    } else if (session.mode === 'payment' && paymentIntentId) {
      const intent = await this.call(scope, 'payment_intents.retrieve', (stripe) =>
        stripe.paymentIntents.retrieve(paymentIntentId),
      );
      payment = paymentIntentSnapshot(intent, new Date());
    }
    const { projectId, mode } = scope;
    return {
      outcome: 'processed',
      write: async (tx) => {
        // The link first: the records below take their user from it.
        if (userId && customerId && (await this.customers.linkFromCheckout(tx, projectId, userId, mode, customerId))) {
          await this.subscriptions.assignUser(tx, projectId, mode, customerId, userId);
          await this.payments.assignUser(tx, projectId, mode, customerId, userId);
        }
        if (subscription) await this.subscriptions.save(tx, projectId, mode, subscription);
        if (payment) await this.payments.save(tx, projectId, mode, payment);
        if (session.status === 'complete')
          await this.checkoutSessions.settle(tx, projectId, mode, session.id, 'complete');
      },
    };
  }

  private async planCheckoutExpired(scope: EventScope, sessionId: string): Promise<EventPlan> {
    const session = await this.call(scope, 'checkout.sessions.retrieve', (stripe) =>
      stripe.checkout.sessions.retrieve(sessionId),
    );
    if (belongsToAnotherProject(session.metadata, scope.projectId) || session.status !== 'expired') return IGNORED;
    return {
      outcome: 'processed',
      write: (tx) => this.checkoutSessions.settle(tx, scope.projectId, scope.mode, session.id, 'expired'),
    };
  }

  private async planInvoice(scope: EventScope, invoiceId: string): Promise<EventPlan> {
    const invoice = await this.call(scope, 'invoices.retrieve', (stripe) =>
      stripe.invoices.retrieve(invoiceId, { expand: ['payments'] }),
    );
    if (belongsToAnotherProject(invoice.parent?.subscription_details?.metadata, scope.projectId)) return IGNORED;
    const subscriptionId = invoiceSubscriptionId(invoice);
    // The subscription's status moves with its invoices (past_due on a failure, active once paid): fetched too.
    const subscription = subscriptionId ? await this.fetchSubscription(scope, subscriptionId) : undefined;
    if (subscription && belongsToAnotherProject(subscription.metadata, scope.projectId)) return IGNORED;
    const fetchedAt = new Date();
    const subscriptionState = subscription && subscriptionSnapshot(subscription, fetchedAt);
    const payment = invoicePaymentSnapshot(invoice, fetchedAt);
    const { projectId, mode } = scope;
    return {
      outcome: 'processed',
      write: async (tx) => {
        if (subscriptionState) await this.subscriptions.save(tx, projectId, mode, subscriptionState);
        if (payment) await this.payments.save(tx, projectId, mode, payment);
      },
    };
  }

  private async planRefund(scope: EventScope, chargeId: string): Promise<EventPlan> {
    const charge = await this.call(scope, 'charges.retrieve', (stripe) => stripe.charges.retrieve(chargeId));
    if (belongsToAnotherProject(charge.metadata, scope.projectId)) return IGNORED;
    const paymentIntentId = idOf(charge.payment_intent);
    if (!paymentIntentId) return IGNORED;
    const { projectId, mode } = scope;
    return {
      outcome: 'processed',
      write: async (tx) => {
        const result = await this.payments.applyRefund(
          tx,
          projectId,
          mode,
          paymentIntentId,
          charge.amount_refunded,
          charge.refunded,
        );
        // A charge of no payment this project recorded (e.g. another project's on a shared account).
        return result === 'unknown-payment' ? 'ignored' : 'processed';
      },
    };
  }

  private async planCustomerDeleted(scope: EventScope, customerId: string): Promise<EventPlan> {
    const customer = await this.call(scope, 'customers.retrieve', (stripe) => stripe.customers.retrieve(customerId));
    // Stripe says it still exists: nothing to forget.
    if (!customer.deleted) return { outcome: 'processed' };
    return {
      outcome: 'processed',
      write: async (tx) =>
        (await this.customers.unlinkCustomer(tx, scope.projectId, scope.mode, customer.id)) ? 'processed' : 'ignored',
    };
  }

  private fetchSubscription(scope: EventScope, subscriptionId: string): Promise<Stripe.Subscription> {
    return this.call(scope, 'subscriptions.retrieve', (stripe) =>
      stripe.subscriptions.retrieve(subscriptionId, { expand: SUBSCRIPTION_EXPAND }),
    );
  }

  private call<T>(
    scope: EventScope,
    operation: Parameters<StripeCalls['run']>[0],
    request: (stripe: Stripe) => Promise<T>,
  ): Promise<T> {
    return this.stripeCalls.run(operation, scope.projectId, () => request(scope.stripe));
  }
}
