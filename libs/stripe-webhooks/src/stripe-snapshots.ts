import type Stripe from 'stripe';
import type { PaymentSnapshot, PaymentStatus, SubscriptionSnapshot } from '#libs/billing-records';

/** Stripe's seconds as a Date; null stays null. */
function toDate(seconds: number | null | undefined): Date | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000);
}

/** The id of a reference that may have been expanded. */
export function idOf(reference: string | { id: string }): string;
export function idOf(reference: string | { id: string } | null | undefined): string | null;
export function idOf(reference: string | { id: string } | null | undefined): string | null {
  if (reference === null || reference === undefined) return null;
  return typeof reference === 'string' ? reference : reference.id;
}

/** The object names, in the metadata this service gives it, a project other than this one. */
export function belongsToAnotherProject(metadata: Stripe.Metadata | null | undefined, projectId: string): boolean {
  const owner = metadata?.project_id;
  return owner !== undefined && owner !== projectId;
}

/** What a subscription is fetched with for subscriptionSnapshot: its plan's name is its price's or product's. */
export const SUBSCRIPTION_EXPAND = ['items.data.price.product'];

/**
 * A subscription fetched with `expand: SUBSCRIPTION_EXPAND`. The service makes single-item subscriptions:
 * price, quantity and period come from the first item; the plan is the price's nickname, else its product's name.
 */
export function subscriptionSnapshot(subscription: Stripe.Subscription, fetchedAt: Date): SubscriptionSnapshot {
  const item = subscription.items.data[0];
  const price = item?.price;
  const product = typeof price?.product === 'object' && !price.product.deleted ? price.product : undefined;
  return {
    stripeSubscriptionId: subscription.id,
    stripeCustomerId: idOf(subscription.customer),
    status: subscription.status,
    priceId: price?.id ?? null,
    planName: price?.nickname ?? product?.name ?? null,
    quantity: item?.quantity ?? 1,
    currentPeriodStart: toDate(item?.current_period_start),
    currentPeriodEnd: toDate(item?.current_period_end),
    cancelAt: toDate(subscription.cancel_at),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    canceledAt: toDate(subscription.canceled_at),
    trialEnd: toDate(subscription.trial_end),
    endedAt: toDate(subscription.ended_at),
    createdAt: new Date(subscription.created * 1000),
    fetchedAt,
  };
}

/** The subscription an invoice bills, if any (this API version has no `invoice.subscription`). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  return idOf(invoice.parent?.subscription_details?.subscription);
}

/**
 * An invoice fetched with `expand: ['payments']` as one payment: its paid attempt, else its latest. Undefined when
 * nothing was ever attempted (e.g. an invoice of zero, which nothing paid).
 */
export function invoicePaymentSnapshot(invoice: Stripe.Invoice, fetchedAt: Date): PaymentSnapshot | undefined {
  if (invoice.amount_due === 0 && invoice.amount_paid === 0) return undefined;
  const attempts = invoice.payments?.data ?? [];
  const chosen =
    attempts.find((attempt) => attempt.status === 'paid') ??
    attempts.reduce<Stripe.InvoicePayment | undefined>(
      (latest, attempt) => (latest === undefined || attempt.created >= latest.created ? attempt : latest),
      undefined,
    );
  const paymentIntentId = idOf(chosen?.payment.payment_intent);
  if (!paymentIntentId) return undefined;
  const paid = invoice.status === 'paid';
  return {
    stripeSourceId: invoice.id!,
    stripeInvoiceId: invoice.id!,
    stripeCustomerId: idOf(invoice.customer),
    stripeSubscriptionId: invoiceSubscriptionId(invoice),
    paymentIntentId,
    status: invoiceStatus(invoice),
    amountCents: paid ? invoice.amount_paid : invoice.amount_due,
    currency: invoice.currency,
    description: invoice.description ?? invoice.lines?.data[0]?.description ?? null,
    attempts: invoice.attempt_count,
    createdAt: new Date(invoice.created * 1000),
    fetchedAt,
  };
}

function invoiceStatus(invoice: Stripe.Invoice): PaymentStatus {
  if (invoice.status === 'paid') return 'succeeded';
  if (invoice.status === 'void' || invoice.status === 'uncollectible' || invoice.attempt_count > 0) return 'failed';
  return 'pending';
}

/** A one-time checkout's payment intent as one payment. */
export function paymentIntentSnapshot(intent: Stripe.PaymentIntent, fetchedAt: Date): PaymentSnapshot {
  return {
    stripeSourceId: intent.id,
    stripeInvoiceId: null,
    stripeCustomerId: idOf(intent.customer),
    stripeSubscriptionId: null,
    paymentIntentId: intent.id,
    status: paymentIntentStatus(intent.status),
    amountCents: intent.amount_received > 0 ? intent.amount_received : intent.amount,
    currency: intent.currency,
    description: intent.description,
    attempts: 1,
    createdAt: new Date(intent.created * 1000),
    fetchedAt,
  };
}

function paymentIntentStatus(status: Stripe.PaymentIntent.Status): PaymentStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'canceled':
    case 'requires_payment_method':
      return 'failed';
    default:
      return 'pending';
  }
}
