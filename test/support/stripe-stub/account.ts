import type Stripe from 'stripe';
import {
  checkoutLineItemObject,
  customerObject,
  deletedCustomerObject,
  list,
  nowInSeconds,
  stripeId,
  type StubClock,
} from './objects.js';

/** What a checkout session was created with, which Stripe applies when the customer completes it. */
export interface CheckoutTerms {
  price: string;
  quantity: number;
  lineItemId: string;
  trialPeriodDays: number | undefined;
  subscriptionMetadata: Stripe.Metadata;
  paymentIntentMetadata: Stripe.Metadata;
}

/** An `expand[]` path Stripe refuses. */
export class CannotExpand extends Error {
  constructor(readonly path: string) {
    super(`This property cannot be expanded (${path}).`);
  }
}

type JsonObject = Record<string, unknown>;

/**
 * One Stripe account (one secret key): its objects as Stripe stores them, related objects as ids. Every read hands
 * out a copy, so neither a caller nor an event snapshot sees later changes.
 */
export class StubAccount {
  readonly livemode: boolean;
  /** Live customers in creation order. */
  readonly customers = new Map<string, Stripe.Customer>();
  readonly deletedCustomers = new Set<string>();
  readonly products = new Map<string, Stripe.Product>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly sessions = new Map<string, Stripe.Checkout.Session>();
  readonly checkoutTerms = new Map<string, CheckoutTerms>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  /** An invoice's payments, by invoice id. */
  readonly invoicePayments = new Map<string, Stripe.InvoicePayment[]>();
  readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  readonly charges = new Map<string, Stripe.Charge>();
  /** Events Stripe sends because of API requests (a subscription updated or canceled), until taken. */
  readonly apiEvents: Stripe.Event[] = [];

  constructor(
    readonly mode: 'test' | 'live',
    private readonly seed: { customers: string[]; deletedCustomers: string[] },
  ) {
    this.livemode = mode === 'live';
    this.resetObjects();
  }

  clock(): StubClock {
    return { livemode: this.livemode, now: nowInSeconds() };
  }

  /** A customer that was deleted before the test: Stripe still retrieves it, as `{id, deleted: true}`. */
  seedDeletedCustomer(id: string): void {
    this.seed.customers = this.seed.customers.filter((seeded) => seeded !== id);
    this.seed.deletedCustomers.push(id);
    this.customers.delete(id);
    this.deletedCustomers.add(id);
  }

  /** Back to the customers the account was registered with: everything made since is forgotten. */
  resetObjects(): void {
    for (const store of [
      this.customers,
      this.products,
      this.prices,
      this.sessions,
      this.checkoutTerms,
      this.subscriptions,
      this.invoices,
      this.invoicePayments,
      this.paymentIntents,
      this.charges,
    ]) {
      store.clear();
    }
    this.deletedCustomers.clear();
    this.apiEvents.length = 0;
    for (const id of this.seed.customers) this.addCustomer({ id, email: null, name: null, metadata: {} });
    for (const id of this.seed.deletedCustomers) this.deletedCustomers.add(id);
  }

  addCustomer(init: {
    id?: string;
    email: string | null;
    name: string | null;
    metadata: Stripe.Metadata;
  }): Stripe.Customer {
    const customer = customerObject(this.clock(), { ...init, id: init.id ?? stripeId('cus') });
    this.customers.set(customer.id, customer);
    return customer;
  }

  productNameOf(price: Stripe.Price): string {
    const productId = typeof price.product === 'string' ? price.product : price.product.id;
    return this.products.get(productId)?.name ?? productId;
  }

  /** Any object of this account by id, as Stripe retrieves it (a deleted customer as `{id, deleted: true}`). */
  find(id: string): object | undefined {
    if (this.deletedCustomers.has(id)) return deletedCustomerObject(id);
    for (const store of [
      this.customers,
      this.products,
      this.prices,
      this.sessions,
      this.subscriptions,
      this.invoices,
      this.paymentIntents,
      this.charges,
    ] as Map<string, object>[]) {
      const found = store.get(id);
      if (found) return copy(found);
    }
    return undefined;
  }

  /** A copy of `object` with each `expand[]` path expanded as Stripe does; throws CannotExpand. */
  expanded<T extends object>(object: T, paths: string[]): T {
    const result = copy(object);
    for (const path of paths) this.expandPath(result as JsonObject, path.split('.'), path);
    return result;
  }

  private expandPath(target: JsonObject, [key, ...rest]: string[], path: string): void {
    if (target.object === 'list' && key === 'data' && rest.length > 0) {
      for (const item of target.data as JsonObject[]) this.expandPath(item, rest, path);
      return;
    }
    const includable = key in target ? undefined : this.includable(target, key);
    if (includable !== undefined) target[key] = includable;
    const value = target[key];
    if (typeof value === 'string' && key !== 'id' && key !== 'object') {
      const found = this.find(value);
      if (!found) throw new CannotExpand(path);
      target[key] = found;
    } else if (value === undefined || (rest.length === 0 && typeof value !== 'object')) {
      throw new CannotExpand(path);
    }
    const next = target[key];
    if (rest.length > 0 && next !== null && typeof next === 'object') this.expandPath(next as JsonObject, rest, path);
  }

  /** The fields Stripe includes only when asked (`expand[]=payments` on an invoice, ...). */
  private includable(target: JsonObject, key: string): unknown {
    const id = target.id as string;
    if (target.object === 'invoice' && key === 'payments') {
      return list(copy(this.invoicePayments.get(id) ?? []), `/v1/invoice_payments?invoice=${id}`);
    }
    if (target.object === 'checkout.session' && key === 'line_items') {
      const terms = this.checkoutTerms.get(id);
      const price = terms && this.prices.get(terms.price);
      const items =
        terms && price
          ? [
              checkoutLineItemObject({
                id: terms.lineItemId,
                price: copy(price),
                quantity: terms.quantity,
                productName: this.productNameOf(price),
              }),
            ]
          : [];
      return list(items, `/v1/checkout/sessions/${id}/line_items`);
    }
    if (target.object === 'customer' && key === 'subscriptions') {
      const subscriptions = [...this.subscriptions.values()].filter(
        (subscription) => subscription.customer === id && subscription.status !== 'canceled',
      );
      return list(copy(subscriptions), `/v1/customers/${id}/subscriptions`);
    }
    return undefined;
  }
}

/** A deep copy of plain objects and arrays; anything else (Stripe's immutable Decimals) is shared. */
export function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => copy(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(item)])) as T;
  }
  return value;
}
