import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * Builders of Stripe objects exactly as stripe-node 23's types describe them for API version 2026-10-28.endive:
 * every builder returns a `Stripe.*` type, so `tsc` proves each required field is present and no unknown one is.
 * Related objects are ids; includable fields (`Invoice.payments`, `Checkout.Session.line_items`, ...) are left out.
 */

/** Where and when an object is made: its account's mode and the current second. */
export interface StubClock {
  livemode: boolean;
  now: number;
}

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

export function stripeId(prefix: string, length = 14): string {
  return `${prefix}_${randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length)}`;
}

export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `from` plus `count` intervals, months and years clamped to the month's last day as Stripe does. */
export function addInterval(from: number, interval: RecurringInterval, count = 1): number {
  if (interval === 'day') return from + 86_400 * count;
  if (interval === 'week') return from + 7 * 86_400 * count;
  const start = new Date(from * 1000);
  const months = interval === 'month' ? count : 12 * count;
  const target = new Date(start);
  target.setUTCDate(1);
  target.setUTCMonth(start.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return Math.floor(target.getTime() / 1000);
}

export function list<T>(data: T[], url: string): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: false, url };
}

export function customerObject(
  clock: StubClock,
  init: { id: string; email: string | null; name: string | null; metadata: Stripe.Metadata },
): Stripe.Customer {
  return {
    id: init.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: clock.now,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: init.email,
    invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: clock.livemode,
    metadata: init.metadata,
    name: init.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export function deletedCustomerObject(id: string): Stripe.DeletedCustomer {
  return { id, object: 'customer', deleted: true };
}

export function productObject(clock: StubClock, id: string, name: string): Stripe.Product {
  return {
    id,
    object: 'product',
    active: true,
    created: clock.now,
    default_price: null,
    description: null,
    images: [],
    livemode: clock.livemode,
    marketing_features: [],
    metadata: {},
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: clock.now,
    url: null,
  };
}

export function priceObject(
  clock: StubClock,
  init: {
    id: string;
    product: string;
    unitAmount: number;
    currency: string;
    interval: RecurringInterval | undefined;
    active: boolean;
    nickname: string | null;
  },
): Stripe.Price {
  return {
    id: init.id,
    object: 'price',
    active: init.active,
    billing_scheme: 'per_unit',
    created: clock.now,
    currency: init.currency,
    custom_unit_amount: null,
    livemode: clock.livemode,
    lookup_key: null,
    metadata: {},
    nickname: init.nickname,
    product: init.product,
    recurring: init.interval
      ? { interval: init.interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' }
      : null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: init.interval ? 'recurring' : 'one_time',
    unit_amount: init.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(init.unitAmount),
  };
}

/** The legacy Plan view of a recurring price, which Stripe still sends on every subscription item. */
export function planOf(price: Stripe.Price): Stripe.Plan {
  if (!price.recurring) throw new Error(`price ${price.id} is not recurring`);
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring.interval,
    interval_count: price.recurring.interval_count,
    livemode: price.livemode,
    metadata: {},
    meter: null,
    nickname: price.nickname,
    product: typeof price.product === 'string' ? price.product : price.product.id,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export interface CheckoutSessionInit {
  id: string;
  mode: 'payment' | 'subscription';
  customer: string | null;
  amount: number;
  currency: string;
  successUrl: string | null;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  metadata: Stripe.Metadata;
}

export function checkoutSessionObject(clock: StubClock, init: CheckoutSessionInit): Stripe.Checkout.Session {
  const subscription = init.mode === 'subscription';
  return {
    id: init.id,
    object: 'checkout.session',
    adaptive_pricing: subscription ? null : { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: init.amount,
    amount_total: init.amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: init.cancelUrl,
    client_reference_id: init.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: clock.now,
    currency: init.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: init.customer,
    customer_account: null,
    // Without a customer, Checkout creates one for a subscription and only if needed for a payment.
    customer_creation: init.customer ? null : subscription ? 'always' : 'if_required',
    customer_details: null,
    customer_email: null,
    discounts: [],
    expires_at: clock.now + 24 * 3600,
    integration_identifier: null,
    invoice: null,
    invoice_creation: subscription
      ? null
      : {
          enabled: false,
          invoice_data: {
            account_tax_ids: null,
            custom_fields: null,
            description: null,
            footer: null,
            issuer: null,
            metadata: {},
            rendering_options: null,
          },
        },
    livemode: clock.livemode,
    locale: null,
    managed_payments: null,
    metadata: init.metadata,
    mode: init.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: subscription ? 'always' : 'if_required',
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: init.customer
      ? { allow_redisplay_filters: ['always'], payment_method_remove: 'disabled', payment_method_save: null }
      : null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: init.successUrl,
    tax_id_collection: { enabled: false, required: 'never' },
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted_page',
    url: `https://checkout.stripe.com/c/pay/${init.id}`,
    wallet_options: null,
  };
}

export function checkoutLineItemObject(init: {
  id: string;
  price: Stripe.Price;
  quantity: number;
  productName: string;
}): Stripe.LineItem {
  const amount = (init.price.unit_amount ?? 0) * init.quantity;
  return {
    id: init.id,
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: init.price.currency,
    description: init.productName,
    metadata: {},
    price: init.price,
    quantity: init.quantity,
  };
}

export function customerDetailsOf(customer: Stripe.Customer | undefined): Stripe.Checkout.Session.CustomerDetails {
  return {
    address: null,
    business_name: null,
    email: customer?.email ?? null,
    individual_name: null,
    name: customer?.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
}

export function subscriptionItemObject(
  clock: StubClock,
  init: {
    id: string;
    subscription: string;
    price: Stripe.Price;
    quantity: number;
    periodStart: number;
    periodEnd: number;
  },
): Stripe.SubscriptionItem {
  return {
    id: init.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: clock.now,
    current_period_end: init.periodEnd,
    current_period_start: init.periodStart,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planOf(init.price),
    price: init.price,
    quantity: init.quantity,
    subscription: init.subscription,
    tax_rates: [],
  };
}

export function subscriptionObject(
  clock: StubClock,
  init: {
    id: string;
    customer: string;
    item: Stripe.SubscriptionItem;
    status: Stripe.Subscription.Status;
    metadata: Stripe.Metadata;
    trialEnd: number | null;
    defaultPaymentMethod: string;
  },
): Stripe.Subscription {
  return {
    id: init.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: init.item.current_period_start,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: clock.now,
    currency: init.item.price.currency,
    customer: init.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: init.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: list([init.item], `/v1/subscription_items?subscription=${init.id}`),
    latest_invoice: null,
    livemode: clock.livemode,
    managed_payments: null,
    metadata: init.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: clock.now,
    status: init.status,
    test_clock: null,
    transfer_data: null,
    trial_end: init.trialEnd,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: init.trialEnd === null ? null : clock.now,
  };
}

export interface SubscriptionInvoiceInit {
  id: string;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription;
  item: Stripe.SubscriptionItem;
  productName: string;
  billingReason: 'subscription_create' | 'subscription_cycle';
  /** The invoice's own period: the subscription's start for the first invoice, the period just ended for a renewal. */
  periodStart: number;
  periodEnd: number;
  /** What the customer owes now: 0 during a trial. */
  amount: number;
}

/** A finalized subscription invoice, still open: `payInvoice` / `failInvoice` record the attempt. */
export function subscriptionInvoiceObject(clock: StubClock, init: SubscriptionInvoiceInit): Stripe.Invoice {
  const price = init.item.price;
  const quantity = init.item.quantity ?? 1;
  const line: Stripe.InvoiceLineItem = {
    id: stripeId('il'),
    object: 'line_item',
    amount: init.amount,
    currency: price.currency,
    description:
      init.amount === 0 ? `Trial period for ${init.productName}` : lineDescription(price, quantity, init.productName),
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: init.id,
    livemode: clock.livemode,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: init.subscription.id,
        subscription_item: init.item.id,
      },
      type: 'subscription_item_details',
    },
    period: { start: init.item.current_period_start, end: init.item.current_period_end },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: price.id, product: typeof price.product === 'string' ? price.product : price.product.id },
      type: 'price_details',
      unit_amount_decimal: init.amount === 0 ? Stripe.Decimal.from(0) : price.unit_amount_decimal,
    },
    quantity,
    quantity_decimal: Stripe.Decimal.from(quantity),
    subscription: init.subscription.id,
    subtotal: init.amount,
    taxes: [],
  };
  const sequence = init.customer.next_invoice_sequence ?? 1;
  return {
    id: init.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Stripe Stub',
    account_tax_ids: null,
    amount_due: init.amount,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: init.amount,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: init.billingReason,
    collection_method: 'charge_automatically',
    created: clock.now,
    currency: price.currency,
    custom_fields: null,
    customer: init.customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: init.customer.email,
    customer_name: init.customer.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: clock.now,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_1Stub/${clock.livemode ? 'live' : 'test'}_${init.id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_1Stub/${clock.livemode ? 'live' : 'test'}_${init.id}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: list([line], `/v1/invoices/${init.id}/lines`),
    livemode: clock.livemode,
    metadata: {},
    next_payment_attempt: null,
    number: `${init.customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: init.subscription.metadata, subscription: init.subscription.id },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: init.periodEnd,
    period_start: init.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'open',
    status_transitions: { finalized_at: clock.now, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: init.amount,
    subtotal_excluding_tax: init.amount,
    test_clock: null,
    total: init.amount,
    total_discount_amounts: [],
    total_excluding_tax: init.amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: clock.now,
  };
}

/** One line of a preview: a period of an item at a price, or a proration of it (`proration`, negative for a credit). */
export interface PreviewLine {
  item: Stripe.SubscriptionItem;
  price: Stripe.Price;
  quantity: number;
  amount: number;
  description: string;
  proration: boolean;
  period: { start: number; end: number };
}

/**
 * What POST /v1/invoices/create_preview answers: a draft invoice, never stored, id `upcoming_in_...`, its lines the
 * given ones; `amount_due` is their total, or 0 when it is a credit (which goes to the customer's balance).
 */
export function previewInvoiceObject(
  clock: StubClock,
  init: {
    customer: Stripe.Customer;
    subscription: Stripe.Subscription;
    productName: (price: Stripe.Price) => string;
    lines: PreviewLine[];
    prorationDate: number;
    periodStart: number;
    periodEnd: number;
  },
): Stripe.Invoice {
  const id = stripeId('upcoming_in', 24);
  const base = subscriptionInvoiceObject(clock, {
    id,
    customer: init.customer,
    subscription: init.subscription,
    item: init.subscription.items.data[0],
    productName: init.productName(init.subscription.items.data[0].price),
    billingReason: 'subscription_cycle',
    periodStart: init.periodStart,
    periodEnd: init.periodEnd,
    amount: 0,
  });
  const total = init.lines.reduce((sum, line) => sum + line.amount, 0);
  const due = Math.max(total, 0);
  const lines: Stripe.InvoiceLineItem[] = init.lines.map((line) => ({
    id: stripeId('il'),
    object: 'line_item',
    amount: line.amount,
    currency: line.price.currency,
    description: line.description,
    discount_amounts: [],
    discountable: !line.proration,
    discounts: [],
    invoice: id,
    livemode: clock.livemode,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: line.proration ? stripeId('ii', 24) : null,
        proration: line.proration,
        proration_details: { credited_items: null },
        subscription: init.subscription.id,
        subscription_item: line.item.id,
      },
      type: 'subscription_item_details',
    },
    period: line.period,
    pretax_credit_amounts: [],
    pricing: {
      price_details: {
        price: line.price.id,
        product: typeof line.price.product === 'string' ? line.price.product : line.price.product.id,
      },
      type: 'price_details',
      unit_amount_decimal: line.price.unit_amount_decimal,
    },
    quantity: line.quantity,
    quantity_decimal: Stripe.Decimal.from(line.quantity),
    subscription: init.subscription.id,
    subtotal: line.amount,
    taxes: [],
  }));
  return {
    ...base,
    amount_due: due,
    amount_remaining: due,
    attempted: false,
    auto_advance: false,
    billing_reason: 'upcoming',
    effective_at: null,
    ending_balance: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    lines: list(lines, `/v1/invoices/${id}/lines`),
    next_payment_attempt: null,
    number: null,
    parent: {
      quote_details: null,
      subscription_details: {
        metadata: init.subscription.metadata,
        subscription: init.subscription.id,
        subscription_proration_date: init.prorationDate,
      },
      type: 'subscription_details',
    },
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    total,
    total_excluding_tax: total,
    webhooks_delivered_at: null,
  };
}

/** "1 × Pro (at $20.00 / month)", as Stripe describes a subscription line. */
export function lineDescription(price: Stripe.Price, quantity: number, productName: string): string {
  const amount = ((price.unit_amount ?? 0) / 100).toFixed(2);
  const money = price.currency === 'usd' ? `$${amount}` : `${amount} ${price.currency.toUpperCase()}`;
  return `${quantity} × ${productName} (at ${money} / ${price.recurring?.interval ?? 'once'})`;
}

export function invoicePaymentObject(
  clock: StubClock,
  init: { id: string; invoice: string; paymentIntent: string; amount: number; currency: string },
): Stripe.InvoicePayment {
  return {
    id: init.id,
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: init.amount,
    created: clock.now,
    currency: init.currency,
    invoice: init.invoice,
    is_default: true,
    livemode: clock.livemode,
    payment: { payment_intent: init.paymentIntent, type: 'payment_intent' },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  };
}

export function paymentIntentObject(
  clock: StubClock,
  init: {
    id: string;
    amount: number;
    currency: string;
    customer: string | null;
    description: string | null;
    metadata: Stripe.Metadata;
    paymentMethod: string;
  },
): Stripe.PaymentIntent {
  return {
    id: init.id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: init.amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${init.id}_secret_${stripeId('x', 24).slice(2)}`,
    confirmation_method: 'automatic',
    created: clock.now,
    currency: init.currency,
    customer: init.customer,
    customer_account: null,
    description: init.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: clock.livemode,
    managed_payments: null,
    metadata: init.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: init.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_confirmation',
    transfer_data: null,
    transfer_group: null,
  };
}

export const CARD_DECLINED = {
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
} as const;

export function chargeObject(
  clock: StubClock,
  init: {
    id: string;
    paymentIntent: Stripe.PaymentIntent;
    customer: Stripe.Customer | undefined;
    succeeded: boolean;
  },
): Stripe.Charge {
  const { paymentIntent, succeeded } = init;
  return {
    id: init.id,
    object: 'charge',
    amount: paymentIntent.amount,
    amount_captured: succeeded ? paymentIntent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: succeeded ? stripeId('txn') : null,
    billing_details: {
      address: { city: null, country: 'US', line1: null, line2: null, postal_code: '42424', state: null },
      email: init.customer?.email ?? null,
      name: init.customer?.name ?? null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'STRIPE STUB',
    captured: succeeded,
    created: clock.now,
    currency: paymentIntent.currency,
    customer: typeof paymentIntent.customer === 'string' ? paymentIntent.customer : null,
    description: paymentIntent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: succeeded ? null : CARD_DECLINED.code,
    failure_message: succeeded ? null : CARD_DECLINED.message,
    fraud_details: {},
    livemode: clock.livemode,
    metadata: {},
    on_behalf_of: null,
    outcome: succeeded
      ? {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          risk_score: 32,
          seller_message: 'Payment complete.',
          type: 'authorized',
        }
      : {
          advice_code: 'try_again_later',
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'declined_by_network',
          reason: CARD_DECLINED.declineCode,
          risk_level: 'normal',
          risk_score: 32,
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        },
    paid: succeeded,
    payment_intent: paymentIntent.id,
    payment_method: typeof paymentIntent.payment_method === 'string' ? paymentIntent.payment_method : null,
    payment_method_details: {
      card: {
        amount_authorized: succeeded ? paymentIntent.amount : null,
        authorization_code: succeeded ? '123456' : null,
        brand: 'visa',
        checks: { address_line1_check: null, address_postal_code_check: 'pass', cvc_check: 'pass' },
        country: 'US',
        electronic_commerce_indicator: null,
        exp_month: 12,
        exp_year: new Date(clock.now * 1000).getUTCFullYear() + 3,
        funding: 'credit',
        installments: null,
        last4: succeeded ? '4242' : '0002',
        mandate: null,
        network: 'visa',
        network_transaction_id: succeeded ? '104557651805572' : null,
        regulated_status: 'unregulated',
        three_d_secure: null,
        transaction_link_id: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: succeeded ? `https://pay.stripe.com/receipts/payment/${init.id}` : null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: succeeded ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
}

type EventOf<K extends Stripe.Event['type']> = Extract<Stripe.Event, { type: K }>;

/** An event as Stripe delivers it: the object as it is now, the changed fields' old values for `*.updated`. */
export function eventObject<K extends Stripe.Event['type']>(
  clock: StubClock,
  type: K,
  object: EventOf<K>['data']['object'],
  previousAttributes?: EventOf<K>['data']['previous_attributes'],
): EventOf<K> {
  const data = previousAttributes === undefined ? { object } : { object, previous_attributes: previousAttributes };
  const event: Stripe.EventBase = {
    id: stripeId('evt', 24),
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: clock.now,
    data,
    livemode: clock.livemode,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
  return event as EventOf<K>;
}
