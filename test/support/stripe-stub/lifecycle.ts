import type Stripe from 'stripe';
import { copy, type StubAccount } from './account.js';
import {
  addInterval,
  CARD_DECLINED,
  chargeObject,
  customerDetailsOf,
  eventObject,
  invoicePaymentObject,
  lineDescription,
  paymentIntentObject,
  planOf,
  previewInvoiceObject,
  stripeId,
  subscriptionInvoiceObject,
  subscriptionItemObject,
  subscriptionObject,
  type PreviewLine,
  type RecurringInterval,
  type StubClock,
} from './objects.js';

/**
 * What happens in Stripe outside the API (a customer paying, a renewal, a refund in the Dashboard): each function
 * changes the account's objects and returns the events Stripe sends, in Stripe's order, each carrying its object as
 * it is at that moment. A call Stripe could not make (completing an expired session, ...) throws: it is a test bug.
 */

/** Seconds before Stripe's automatic retry of a failed renewal (Smart Retries schedules the first within days). */
const RETRY_AFTER_SECONDS = 3 * 86_400;

export type PaymentOutcome = 'succeeds' | 'fails';

export function completeCheckout(account: StubAccount, sessionId: string, payment: PaymentOutcome): Stripe.Event[] {
  const session = openSession(account, sessionId);
  const terms = account.checkoutTerms.get(sessionId)!;
  const price = account.prices.get(terms.price)!;
  const clock = account.clock();
  if (session.mode === 'payment') {
    // A declined payment leaves a payment-mode session open for the customer to try again: nothing to report.
    if (payment === 'fails') return [];
    const customer = typeof session.customer === 'string' ? account.customers.get(session.customer) : undefined;
    const intent = paymentIntentObject(clock, {
      id: stripeId('pi', 24),
      amount: (price.unit_amount ?? 0) * terms.quantity,
      currency: price.currency,
      customer: customer?.id ?? null,
      description: null,
      metadata: { ...terms.paymentIntentMetadata },
      paymentMethod: stripeId('pm', 24),
    });
    account.paymentIntents.set(intent.id, intent);
    chargeAttempt(account, clock, intent, customer, true);
    Object.assign(session, completedSession(session, customer), {
      payment_intent: intent.id,
      payment_status: 'paid',
    } satisfies Partial<Stripe.Checkout.Session>);
    return [eventObject(clock, 'checkout.session.completed', copy(session))];
  }

  const customer =
    typeof session.customer === 'string'
      ? liveCustomer(account, session.customer)
      : account.addCustomer({ email: null, name: null, metadata: {} });
  const { subscription, invoice, paid, trialEnd } = startSubscription(account, clock, {
    customer,
    price,
    quantity: terms.quantity,
    trialPeriodDays: terms.trialPeriodDays,
    metadata: terms.subscriptionMetadata,
    payment,
  });
  Object.assign(session, completedSession(session, customer), {
    customer: customer.id,
    invoice: invoice.id,
    subscription: subscription.id,
    payment_status: trialEnd !== null ? 'no_payment_required' : paid ? 'paid' : 'unpaid',
  } satisfies Partial<Stripe.Checkout.Session>);
  return [
    eventObject(clock, 'customer.subscription.created', copy(subscription)),
    paid
      ? eventObject(clock, 'invoice.paid', copy(invoice))
      : eventObject(clock, 'invoice.payment_failed', copy(invoice)),
    eventObject(clock, 'checkout.session.completed', copy(session)),
  ];
}

/**
 * A subscription made with the API or the Dashboard, outside any checkout: it starts as checkout's would, its first
 * invoice charged. Events: customer.subscription.created, invoice.paid | invoice.payment_failed.
 */
export function createSubscription(
  account: StubAccount,
  init: { customer: string; price: string; quantity: number; metadata: Stripe.Metadata; payment: PaymentOutcome },
): Stripe.Event[] {
  const price = account.prices.get(init.price);
  if (!price?.recurring) throw new Error(`no recurring price ${init.price} in this account`);
  const clock = account.clock();
  const { subscription, invoice, paid } = startSubscription(account, clock, {
    customer: liveCustomer(account, init.customer),
    price,
    quantity: init.quantity,
    trialPeriodDays: undefined,
    metadata: init.metadata,
    payment: init.payment,
  });
  return [
    eventObject(clock, 'customer.subscription.created', copy(subscription)),
    paid
      ? eventObject(clock, 'invoice.paid', copy(invoice))
      : eventObject(clock, 'invoice.payment_failed', copy(invoice)),
  ];
}

/** A new subscription with its item and first invoice, charged (nothing is charged during a trial). */
function startSubscription(
  account: StubAccount,
  clock: StubClock,
  init: {
    customer: Stripe.Customer;
    price: Stripe.Price;
    quantity: number;
    trialPeriodDays: number | undefined;
    metadata: Stripe.Metadata;
    payment: PaymentOutcome;
  },
): { subscription: Stripe.Subscription; invoice: Stripe.Invoice; paid: boolean; trialEnd: number | null } {
  const { customer, price, quantity, payment } = init;
  const trialEnd = init.trialPeriodDays ? addInterval(clock.now, 'day', init.trialPeriodDays) : null;
  const subscriptionId = stripeId('sub', 24);
  const item = subscriptionItemObject(clock, {
    id: stripeId('si'),
    subscription: subscriptionId,
    price: copy(price),
    quantity,
    periodStart: clock.now,
    periodEnd: trialEnd ?? addInterval(clock.now, intervalOf(price)),
  });
  const subscription = subscriptionObject(clock, {
    id: subscriptionId,
    customer: customer.id,
    item,
    status: trialEnd !== null ? 'trialing' : payment === 'succeeds' ? 'active' : 'incomplete',
    metadata: { ...init.metadata },
    trialEnd,
    defaultPaymentMethod: stripeId('pm', 24),
  });
  account.subscriptions.set(subscription.id, subscription);
  const invoice = issueInvoice(account, clock, {
    customer,
    subscription,
    billingReason: 'subscription_create',
    periodStart: clock.now,
    periodEnd: clock.now,
    amount: trialEnd !== null ? 0 : (price.unit_amount ?? 0) * quantity,
  });
  const paid = chargeInvoice(account, clock, invoice, customer, payment === 'succeeds', 'Subscription creation');
  return { subscription, invoice, paid, trialEnd };
}

export function expireCheckout(account: StubAccount, sessionId: string): Stripe.Event[] {
  const session = openSession(account, sessionId);
  Object.assign(session, { status: 'expired', url: null } satisfies Partial<Stripe.Checkout.Session>);
  return [eventObject(account.clock(), 'checkout.session.expired', copy(session))];
}

export interface SubscriptionChanges {
  status?: Stripe.Subscription.Status;
  cancel_at_period_end?: boolean;
  /** A cancellation on a date (as the Dashboard schedules one), or null to clear it. */
  cancel_at?: number | null;
  priceId?: string;
  quantity?: number;
}

export function updateSubscription(account: StubAccount, id: string, changes: SubscriptionChanges): Stripe.Event[] {
  const subscription = activeSubscription(account, id);
  const clock = account.clock();
  const previous: Partial<Stripe.Subscription> = {};
  if (changes.status !== undefined && changes.status !== subscription.status) {
    previous.status = subscription.status;
    subscription.status = changes.status;
  }
  if (changes.cancel_at_period_end !== undefined) {
    scheduleCancellation(subscription, changes.cancel_at_period_end, clock, previous);
  }
  if (changes.cancel_at !== undefined) scheduleCancellationAt(subscription, changes.cancel_at, clock, previous);
  if (changes.priceId !== undefined || changes.quantity !== undefined) {
    const item = subscription.items.data[0];
    const price = changes.priceId === undefined ? item.price : account.prices.get(changes.priceId);
    if (!price?.recurring) throw new Error(`no recurring price ${changes.priceId} in this account`);
    changeItem(subscription, item, price, changes.quantity ?? item.quantity ?? 1, previous);
  }
  if (Object.keys(previous).length === 0) throw new Error(`nothing changes on subscription ${id}`);
  return [eventObject(clock, 'customer.subscription.updated', copy(subscription), previous)];
}

/** What POST /v1/subscriptions/{id} changes, its parameters already checked as Stripe checks them. */
export interface SubscriptionUpdate {
  cancelAtPeriodEnd?: boolean;
  /** `cancel_at`: a date, or null for "" (clear it). */
  cancelAt?: number | null;
  /** With `id`: that item's new price and quantity. Without: a new item (Stripe adds one). */
  item?: { id?: string; price: Stripe.Price; quantity: number };
}

/** An update through the API: customer.subscription.updated when anything changed, else nothing. */
export function applySubscriptionUpdate(account: StubAccount, id: string, update: SubscriptionUpdate): Stripe.Event[] {
  const subscription = activeSubscription(account, id);
  const clock = account.clock();
  const previous: Partial<Stripe.Subscription> = {};
  if (update.cancelAtPeriodEnd !== undefined) {
    scheduleCancellation(subscription, update.cancelAtPeriodEnd, clock, previous);
  }
  if (update.cancelAt !== undefined) scheduleCancellationAt(subscription, update.cancelAt, clock, previous);
  const change = update.item;
  const item = change?.id === undefined ? undefined : subscription.items.data.find((each) => each.id === change.id);
  if (change && item) changeItem(subscription, item, change.price, change.quantity, previous);
  if (change && !item) {
    previous.items = copy(subscription.items);
    const first = subscription.items.data[0];
    subscription.items.data.push(
      subscriptionItemObject(clock, {
        id: stripeId('si'),
        subscription: id,
        price: copy(change.price),
        quantity: change.quantity,
        periodStart: first.current_period_start,
        periodEnd: first.current_period_end,
      }),
    );
  }
  if (Object.keys(previous).length === 0) return [];
  return [eventObject(clock, 'customer.subscription.updated', copy(subscription), previous)];
}

/** cancel_at_period_end on or off, as Stripe sets cancel_at, canceled_at and the reason with it. */
function scheduleCancellation(
  subscription: Stripe.Subscription,
  cancelling: boolean,
  clock: StubClock,
  previous: Partial<Stripe.Subscription>,
): void {
  if (cancelling === subscription.cancel_at_period_end) return;
  Object.assign(previous, {
    cancel_at: subscription.cancel_at,
    cancel_at_period_end: subscription.cancel_at_period_end,
    canceled_at: subscription.canceled_at,
    cancellation_details: copy(subscription.cancellation_details),
  });
  Object.assign(subscription, {
    cancel_at: cancelling ? subscription.items.data[0].current_period_end : null,
    cancel_at_period_end: cancelling,
    canceled_at: cancelling ? clock.now : null,
    cancellation_details: {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: cancelling ? 'cancellation_requested' : null,
    },
  } satisfies Partial<Stripe.Subscription>);
}

/** cancel_at on a date (not at period end), or cleared with null, as Stripe sets canceled_at and the reason with it. */
function scheduleCancellationAt(
  subscription: Stripe.Subscription,
  cancelAt: number | null,
  clock: StubClock,
  previous: Partial<Stripe.Subscription>,
): void {
  if (cancelAt === subscription.cancel_at && !subscription.cancel_at_period_end) return;
  Object.assign(previous, {
    cancel_at: subscription.cancel_at,
    cancel_at_period_end: subscription.cancel_at_period_end,
    canceled_at: subscription.canceled_at,
    cancellation_details: copy(subscription.cancellation_details),
  });
  Object.assign(subscription, {
    cancel_at: cancelAt,
    cancel_at_period_end: false,
    canceled_at: cancelAt === null ? null : clock.now,
    cancellation_details: {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: cancelAt === null ? null : 'cancellation_requested',
    },
  } satisfies Partial<Stripe.Subscription>);
}

/** The item keeps its id; its price (and the legacy plan) and quantity change in place. */
function changeItem(
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  price: Stripe.Price,
  quantity: number,
  previous: Partial<Stripe.Subscription>,
): void {
  if (item.price.id === price.id && item.quantity === quantity) return;
  previous.items ??= copy(subscription.items);
  Object.assign(item, { price: copy(price), plan: planOf(price), quantity } satisfies Partial<Stripe.SubscriptionItem>);
}

export type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';

/**
 * The invoice an item's change of price or quantity brings, as invoices.createPreview shows it: with `always_invoice`
 * the invoice made at once (the prorations alone); otherwise the next one (the prorations, unless `none`, then the
 * next period at the new price). Prorations go by the second, from `prorationDate` to the period's end.
 */
export function previewItemChange(
  account: StubAccount,
  subscriptionId: string,
  change: { item: Stripe.SubscriptionItem; price: Stripe.Price; quantity: number },
  behavior: ProrationBehavior,
  prorationDate: number,
): Stripe.Invoice {
  const subscription = activeSubscription(account, subscriptionId);
  const { item, price, quantity } = change;
  const start = item.current_period_start;
  const end = item.current_period_end;
  const fraction = Math.min(Math.max((end - prorationDate) / (end - start), 0), 1);
  const after = new Date(prorationDate * 1000).toUTCString().slice(5, 16);
  const oldQuantity = item.quantity ?? 1;
  const lines: PreviewLine[] = [];
  if (behavior !== 'none' && (item.price.id !== price.id || oldQuantity !== quantity)) {
    const period = { start: prorationDate, end };
    lines.push(
      {
        item,
        price: item.price,
        quantity: oldQuantity,
        amount: -Math.round((item.price.unit_amount ?? 0) * oldQuantity * fraction),
        description: `Unused time on ${oldQuantity} × ${account.productNameOf(item.price)} after ${after}`,
        proration: true,
        period,
      },
      {
        item,
        price,
        quantity,
        amount: Math.round((price.unit_amount ?? 0) * quantity * fraction),
        description: `Remaining time on ${quantity} × ${account.productNameOf(price)} after ${after}`,
        proration: true,
        period,
      },
    );
  }
  if (behavior !== 'always_invoice') {
    lines.push({
      item,
      price,
      quantity,
      amount: (price.unit_amount ?? 0) * quantity,
      description: lineDescription(price, quantity, account.productNameOf(price)),
      proration: false,
      period: { start: end, end: addInterval(end, intervalOf(price)) },
    });
  }
  return previewInvoiceObject(account.clock(), {
    customer: liveCustomer(account, subscription.customer as string),
    subscription,
    productName: (each) => account.productNameOf(each),
    lines,
    prorationDate,
    periodStart: start,
    periodEnd: end,
  });
}

export function cancelSubscription(account: StubAccount, id: string): Stripe.Event[] {
  const subscription = activeSubscription(account, id);
  const clock = account.clock();
  Object.assign(subscription, {
    status: 'canceled',
    canceled_at: subscription.canceled_at ?? clock.now,
    ended_at: clock.now,
    cancellation_details: {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: subscription.cancellation_details?.reason ?? 'cancellation_requested',
    },
  } satisfies Partial<Stripe.Subscription>);
  return [eventObject(clock, 'customer.subscription.deleted', copy(subscription))];
}

export function pauseSubscription(account: StubAccount, id: string): Stripe.Event[] {
  const subscription = activeSubscription(account, id);
  if (subscription.status === 'paused') throw new Error(`subscription ${id} is already paused`);
  const clock = account.clock();
  const previous: Partial<Stripe.Subscription> = { status: subscription.status };
  subscription.status = 'paused';
  subscription.status_details = {
    paused: { subscription: { type: 'pause_requested' }, transitioned_at: clock.now, type: 'subscription' },
  };
  return [
    eventObject(clock, 'customer.subscription.paused', copy(subscription)),
    eventObject(clock, 'customer.subscription.updated', copy(subscription), previous),
  ];
}

/** Resumes with the billing period unchanged (no invoice): Stripe's resume with `billing_cycle_anchor=unchanged`. */
export function resumeSubscription(account: StubAccount, id: string): Stripe.Event[] {
  const subscription = activeSubscription(account, id);
  if (subscription.status !== 'paused') throw new Error(`subscription ${id} is not paused`);
  const clock = account.clock();
  subscription.status = 'active';
  delete subscription.status_details;
  return [
    eventObject(clock, 'customer.subscription.resumed', copy(subscription)),
    eventObject(clock, 'customer.subscription.updated', copy(subscription), { status: 'paused' }),
  ];
}

/**
 * The next billing period starts and its invoice is charged. Succeeds: customer.subscription.updated (new period,
 * `active` at a trial's end), invoice.paid. Fails: invoice.payment_failed, then customer.subscription.updated (new
 * period, `past_due`).
 */
export function renewSubscription(account: StubAccount, id: string, payment: PaymentOutcome): Stripe.Event[] {
  const subscription = activeSubscription(account, id);
  if (!['active', 'trialing', 'past_due'].includes(subscription.status)) {
    throw new Error(`subscription ${id} is ${subscription.status}: Stripe does not renew it`);
  }
  const clock = account.clock();
  const customer = liveCustomer(account, subscription.customer as string);
  const item = subscription.items.data[0];
  const previous: Partial<Stripe.Subscription> = {
    items: copy(subscription.items),
    latest_invoice: subscription.latest_invoice,
  };
  const endedStart = item.current_period_start;
  const endedEnd = item.current_period_end;
  item.current_period_start = endedEnd;
  item.current_period_end = addInterval(endedEnd, intervalOf(item.price));
  const invoice = issueInvoice(account, clock, {
    customer,
    subscription,
    billingReason: 'subscription_cycle',
    periodStart: endedStart,
    periodEnd: endedEnd,
    amount: (item.price.unit_amount ?? 0) * (item.quantity ?? 1),
  });
  const paid = chargeInvoice(account, clock, invoice, customer, payment === 'succeeds', 'Subscription update');
  const status = paid ? 'active' : 'past_due';
  if (status !== subscription.status) {
    previous.status = subscription.status;
    subscription.status = status;
  }
  const updated = eventObject(clock, 'customer.subscription.updated', copy(subscription), previous);
  return paid
    ? [updated, eventObject(clock, 'invoice.paid', copy(invoice))]
    : [eventObject(clock, 'invoice.payment_failed', copy(invoice)), updated];
}

/** The open invoice is paid now (a retry, or the customer's new card): invoice.paid, then the subscription active. */
export function retryInvoice(account: StubAccount, invoiceId: string): Stripe.Event[] {
  const invoice = account.invoices.get(invoiceId);
  if (!invoice) throw new Error(`no invoice ${invoiceId} in this account`);
  if (invoice.status !== 'open') throw new Error(`invoice ${invoiceId} is ${invoice.status}, not open`);
  const clock = account.clock();
  const [invoicePayment] = account.invoicePayments.get(invoiceId) ?? [];
  const intent = account.paymentIntents.get(invoicePayment.payment.payment_intent as string)!;
  const customer = account.customers.get(invoice.customer as string);
  chargeAttempt(account, clock, intent, customer, true);
  settleInvoice(invoice, invoicePayment, clock, true);
  const events: Stripe.Event[] = [eventObject(clock, 'invoice.paid', copy(invoice))];
  const subscriptionId = invoice.parent?.subscription_details?.subscription as string | undefined;
  const subscription = subscriptionId ? account.subscriptions.get(subscriptionId) : undefined;
  if (subscription && ['past_due', 'incomplete', 'unpaid'].includes(subscription.status)) {
    const previous: Partial<Stripe.Subscription> = { status: subscription.status };
    subscription.status = 'active';
    events.push(eventObject(clock, 'customer.subscription.updated', copy(subscription), previous));
  }
  return events;
}

/** Refunds `amountCents` (default: what is left) of a succeeded charge: charge.refunded, amount_refunded cumulative. */
export function refundCharge(account: StubAccount, chargeId: string, amountCents?: number): Stripe.Event[] {
  const charge = account.charges.get(chargeId);
  if (!charge) throw new Error(`no charge ${chargeId} in this account`);
  if (charge.status !== 'succeeded') throw new Error(`charge ${chargeId} is ${charge.status}: nothing to refund`);
  const refundable = charge.amount - charge.amount_refunded;
  const amount = amountCents ?? refundable;
  if (!Number.isInteger(amount) || amount <= 0 || amount > refundable) {
    throw new Error(`cannot refund ${amount} of charge ${chargeId}: ${refundable} is refundable`);
  }
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  return [eventObject(account.clock(), 'charge.refunded', copy(charge))];
}

/** Deletes a customer as Stripe does: each of its subscriptions is canceled first, then customer.deleted. */
export function deleteCustomer(account: StubAccount, customerId: string): Stripe.Event[] {
  const customer = liveCustomer(account, customerId);
  const events: Stripe.Event[] = [];
  for (const subscription of account.subscriptions.values()) {
    if (subscription.customer === customerId && !ENDED.includes(subscription.status)) {
      events.push(...cancelSubscription(account, subscription.id));
    }
  }
  account.customers.delete(customerId);
  account.deletedCustomers.add(customerId);
  events.push(eventObject(account.clock(), 'customer.deleted', copy(customer)));
  return events;
}

const ENDED: Stripe.Subscription.Status[] = ['canceled', 'incomplete_expired'];

function openSession(account: StubAccount, sessionId: string): Stripe.Checkout.Session {
  const session = account.sessions.get(sessionId);
  if (!session) throw new Error(`no checkout session ${sessionId} in this account`);
  if (session.status !== 'open') throw new Error(`checkout session ${sessionId} is ${session.status}, not open`);
  return session;
}

function liveCustomer(account: StubAccount, customerId: string): Stripe.Customer {
  const customer = account.customers.get(customerId);
  if (!customer) throw new Error(`no live customer ${customerId} in this account`);
  return customer;
}

/** Whether Stripe still changes the subscription: not `canceled` or `incomplete_expired`. */
export function hasEnded(subscription: Stripe.Subscription): boolean {
  return ENDED.includes(subscription.status);
}

function activeSubscription(account: StubAccount, id: string): Stripe.Subscription {
  const subscription = account.subscriptions.get(id);
  if (!subscription) throw new Error(`no subscription ${id} in this account`);
  if (ENDED.includes(subscription.status)) throw new Error(`subscription ${id} is ${subscription.status}`);
  return subscription;
}

function intervalOf(price: Stripe.Price): RecurringInterval {
  const interval = price.recurring?.interval;
  if (!interval) throw new Error(`price ${price.id} is not recurring`);
  return interval as RecurringInterval;
}

function completedSession(
  session: Stripe.Checkout.Session,
  customer: Stripe.Customer | undefined,
): Partial<Stripe.Checkout.Session> {
  return {
    status: 'complete',
    url: null,
    collected_information: { business_name: null, individual_name: null, shipping_details: null },
    customer_details: { ...customerDetailsOf(customer), email: customer?.email ?? session.customer_email },
  };
}

function issueInvoice(
  account: StubAccount,
  clock: StubClock,
  init: {
    customer: Stripe.Customer;
    subscription: Stripe.Subscription;
    billingReason: 'subscription_create' | 'subscription_cycle';
    periodStart: number;
    periodEnd: number;
    amount: number;
  },
): Stripe.Invoice {
  const item = init.subscription.items.data[0];
  const invoice = subscriptionInvoiceObject(clock, {
    ...init,
    id: stripeId('in', 24),
    item,
    productName: account.productNameOf(item.price),
  });
  init.customer.next_invoice_sequence = (init.customer.next_invoice_sequence ?? 1) + 1;
  init.subscription.latest_invoice = invoice.id;
  account.invoices.set(invoice.id, invoice);
  return invoice;
}

/** Charges an invoice once through a new PaymentIntent; a zero invoice is paid without any payment. */
function chargeInvoice(
  account: StubAccount,
  clock: StubClock,
  invoice: Stripe.Invoice,
  customer: Stripe.Customer,
  succeeds: boolean,
  description: string,
): boolean {
  if (invoice.amount_due === 0) {
    Object.assign(invoice, {
      attempted: true,
      auto_advance: false,
      status: 'paid',
      status_transitions: { ...invoice.status_transitions, paid_at: clock.now },
    } satisfies Partial<Stripe.Invoice>);
    return true;
  }
  const intent = paymentIntentObject(clock, {
    id: stripeId('pi', 24),
    amount: invoice.amount_due,
    currency: invoice.currency,
    customer: customer.id,
    description,
    metadata: {},
    paymentMethod: stripeId('pm', 24),
  });
  account.paymentIntents.set(intent.id, intent);
  const invoicePayment = invoicePaymentObject(clock, {
    id: stripeId('inpay', 24),
    invoice: invoice.id,
    paymentIntent: intent.id,
    amount: invoice.amount_due,
    currency: invoice.currency,
  });
  account.invoicePayments.set(invoice.id, [invoicePayment]);
  chargeAttempt(account, clock, intent, customer, succeeds);
  settleInvoice(invoice, invoicePayment, clock, succeeds);
  return succeeds;
}

/** One attempt at the intent's payment: a new charge, and the intent succeeded or back to needing a payment method. */
function chargeAttempt(
  account: StubAccount,
  clock: StubClock,
  intent: Stripe.PaymentIntent,
  customer: Stripe.Customer | undefined,
  succeeds: boolean,
): Stripe.Charge {
  const charge = chargeObject(clock, { id: stripeId('ch', 24), paymentIntent: intent, customer, succeeded: succeeds });
  account.charges.set(charge.id, charge);
  Object.assign(intent, {
    latest_charge: charge.id,
    status: succeeds ? 'succeeded' : 'requires_payment_method',
    amount_received: succeeds ? intent.amount : 0,
    last_payment_error: succeeds
      ? null
      : {
          charge: charge.id,
          code: CARD_DECLINED.code,
          decline_code: CARD_DECLINED.declineCode,
          doc_url: 'https://stripe.com/docs/error-codes/card-declined',
          message: CARD_DECLINED.message,
          type: 'card_error',
        },
  } satisfies Partial<Stripe.PaymentIntent>);
  return charge;
}

function settleInvoice(
  invoice: Stripe.Invoice,
  invoicePayment: Stripe.InvoicePayment,
  clock: StubClock,
  paid: boolean,
): void {
  const firstInvoice = invoice.billing_reason === 'subscription_create';
  Object.assign(invoice, {
    attempted: true,
    attempt_count: invoice.attempt_count + 1,
    amount_paid: paid ? invoice.amount_due : 0,
    amount_remaining: paid ? 0 : invoice.amount_due,
    auto_advance: !paid,
    status: paid ? 'paid' : 'open',
    status_transitions: { ...invoice.status_transitions, paid_at: paid ? clock.now : null },
    // Stripe does not retry an incomplete subscription's first invoice; a renewal is retried automatically.
    next_payment_attempt: paid || firstInvoice ? null : clock.now + RETRY_AFTER_SECONDS,
  } satisfies Partial<Stripe.Invoice>);
  Object.assign(invoicePayment, {
    amount_paid: paid ? invoicePayment.amount_requested : null,
    status: paid ? 'paid' : 'open',
    status_transitions: { canceled_at: null, paid_at: paid ? clock.now : null },
  } satisfies Partial<Stripe.InvoicePayment>);
}
