import type Stripe from 'stripe';
import { CannotExpand, type StubAccount } from './account.js';
import {
  applySubscriptionUpdate,
  cancelSubscription,
  deleteCustomer,
  expireCheckout,
  hasEnded,
  previewItemChange,
  type ProrationBehavior,
} from './lifecycle.js';
import { checkoutSessionObject, deletedCustomerObject, nowInSeconds, stripeId } from './objects.js';
import {
  booleanParam,
  expandParam,
  integerParam,
  invalidRequest,
  listParam,
  metadataParam,
  noSuch,
  objectParam,
  ok,
  readParams,
  stringParam,
  type ObjectSpec,
  type Params,
  type Reply,
} from './params.js';

/** A request as a route sees it: its parameters are the query's then the form body's, in sent order. */
export interface RouteRequest {
  params: [string, string][];
  form: Record<string, string>;
}

interface Route {
  method: string;
  path: RegExp;
  handle: (account: StubAccount, request: RouteRequest, id: string) => Reply;
}

const RETRIEVE: ObjectSpec = { expand: 'expand' };

const CUSTOMER_CREATE: ObjectSpec = { email: 'string', name: 'string', metadata: 'metadata', expand: 'expand' };

const CHECKOUT_SESSION_CREATE: ObjectSpec = {
  customer: 'string',
  line_items: [{ price: 'string', quantity: 'integer' }],
  mode: 'string',
  success_url: 'string',
  cancel_url: 'string',
  client_reference_id: 'string',
  metadata: 'metadata',
  subscription_data: { metadata: 'metadata', trial_period_days: 'integer' },
  payment_intent_data: { metadata: 'metadata' },
  expand: 'expand',
};

const SUBSCRIPTION_LIST: ObjectSpec = {
  customer: 'string',
  price: 'string',
  status: 'string',
  limit: 'integer',
  starting_after: 'string',
  ending_before: 'string',
  expand: 'expand',
};

const SUBSCRIPTION_LIST_STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
];

/** Stripe expands at most four levels deep; in a list, `data` is the first. */
const MAX_EXPAND_DEPTH = 4;

const SUBSCRIPTION_ITEM: ObjectSpec = { id: 'string', price: 'string', quantity: 'integer' };

const SUBSCRIPTION_UPDATE: ObjectSpec = {
  items: [SUBSCRIPTION_ITEM],
  // A timestamp, or "" to clear a scheduled date (Stripe's emptyable parameter).
  cancel_at: 'string',
  cancel_at_period_end: 'boolean',
  proration_behavior: 'string',
  expand: 'expand',
};

const SUBSCRIPTION_CANCEL: ObjectSpec = { invoice_now: 'boolean', prorate: 'boolean', expand: 'expand' };

const INVOICE_CREATE_PREVIEW: ObjectSpec = {
  customer: 'string',
  subscription: 'string',
  subscription_details: { items: [SUBSCRIPTION_ITEM], proration_behavior: 'string', proration_date: 'integer' },
  expand: 'expand',
};

const PRORATION_BEHAVIORS: readonly string[] = ['always_invoice', 'create_prorations', 'none'];

const CANCELED_SUBSCRIPTION = 'A canceled subscription can only update its cancellation_details and metadata.';

const ID = '([^/?]+)';

/** Every route the stub answers, besides which it says Stripe's "Unrecognized request URL". */
export const ROUTES: Route[] = [
  { method: 'GET', path: /^\/v1\/balance$/, handle: balance },
  { method: 'POST', path: /^\/v1\/billing_portal\/sessions$/, handle: createPortalSession },
  { method: 'POST', path: /^\/v1\/customers$/, handle: createCustomer },
  { method: 'GET', path: new RegExp(`^/v1/customers/${ID}$`), handle: retrieveCustomer },
  { method: 'DELETE', path: new RegExp(`^/v1/customers/${ID}$`), handle: deleteCustomerRoute },
  { method: 'GET', path: new RegExp(`^/v1/prices/${ID}$`), handle: retrieve('price', (account) => account.prices) },
  {
    method: 'GET',
    path: new RegExp(`^/v1/products/${ID}$`),
    handle: retrieve('product', (account) => account.products),
  },
  { method: 'POST', path: /^\/v1\/checkout\/sessions$/, handle: createCheckoutSession },
  {
    method: 'GET',
    path: new RegExp(`^/v1/checkout/sessions/${ID}$`),
    handle: retrieve('checkout.session', (account) => account.sessions),
  },
  { method: 'POST', path: new RegExp(`^/v1/checkout/sessions/${ID}/expire$`), handle: expireCheckoutSession },
  { method: 'GET', path: /^\/v1\/subscriptions$/, handle: listSubscriptions },
  {
    method: 'GET',
    path: new RegExp(`^/v1/subscriptions/${ID}$`),
    handle: retrieve('subscription', (account) => account.subscriptions),
  },
  { method: 'POST', path: new RegExp(`^/v1/subscriptions/${ID}$`), handle: updateSubscriptionRoute },
  { method: 'DELETE', path: new RegExp(`^/v1/subscriptions/${ID}$`), handle: cancelSubscriptionRoute },
  { method: 'POST', path: /^\/v1\/invoices\/create_preview$/, handle: createInvoicePreview },
  {
    method: 'GET',
    path: new RegExp(`^/v1/invoices/${ID}$`),
    handle: retrieve('invoice', (account) => account.invoices),
  },
  { method: 'GET', path: new RegExp(`^/v1/charges/${ID}$`), handle: retrieve('charge', (account) => account.charges) },
  {
    method: 'GET',
    path: new RegExp(`^/v1/payment_intents/${ID}$`),
    handle: retrieve('payment_intent', (account) => account.paymentIntents),
  },
];

export function findRoute(method: string, path: string): { route: Route; id: string } | undefined {
  for (const route of ROUTES) {
    const match = route.method === method ? route.path.exec(path) : null;
    if (match) return { route, id: decodeURIComponent(match[1] ?? '') };
  }
  return undefined;
}

function balance(account: StubAccount): Reply {
  return ok({ object: 'balance', available: [], pending: [], livemode: account.livemode });
}

function createPortalSession(account: StubAccount, request: RouteRequest): Reply {
  const customer = request.form.customer;
  if (!customer) return missingParam('customer');
  if (!account.customers.has(customer)) return noSuch('customer', customer, 'customer');
  return ok({
    id: stripeId('bps', 24),
    object: 'billing_portal.session',
    configuration: request.form.configuration ?? 'bpc_default',
    created: account.clock().now,
    customer,
    flow: null,
    livemode: account.livemode,
    locale: request.form.locale ?? null,
    on_behalf_of: null,
    return_url: request.form.return_url,
    url: `https://billing.stripe.com/p/session/${stripeId(account.mode, 24)}`,
  });
}

function createCustomer(account: StubAccount, request: RouteRequest): Reply {
  const read = readParams(request.params, CUSTOMER_CREATE);
  if ('error' in read) return read.error;
  const customer = account.addCustomer({
    email: stringParam(read.params, 'email') ?? null,
    name: stringParam(read.params, 'name') ?? null,
    metadata: metadataParam(read.params),
  });
  return expandedReply(account, customer, expandParam(read.params));
}

function retrieveCustomer(account: StubAccount, request: RouteRequest, id: string): Reply {
  const read = readParams(request.params, RETRIEVE);
  if ('error' in read) return read.error;
  if (account.deletedCustomers.has(id)) return ok(deletedCustomerObject(id));
  const customer = account.customers.get(id);
  if (!customer) return noSuch('customer', id, 'id', 404);
  return expandedReply(account, customer, expandParam(read.params));
}

function deleteCustomerRoute(account: StubAccount, request: RouteRequest, id: string): Reply {
  const read = readParams(request.params, {});
  if ('error' in read) return read.error;
  if (!account.customers.has(id)) return noSuch('customer', id, 'id', 404);
  deleteCustomer(account, id);
  return ok(deletedCustomerObject(id));
}

function retrieve(objectName: string, store: (account: StubAccount) => Map<string, object>) {
  return (account: StubAccount, request: RouteRequest, id: string): Reply => {
    const read = readParams(request.params, RETRIEVE);
    if ('error' in read) return read.error;
    const found = store(account).get(id);
    if (!found) return noSuch(objectName, id, 'id', 404);
    return expandedReply(account, found, expandParam(read.params));
  };
}

/**
 * Newest first, as Stripe lists: without `status`, every subscription that is not canceled; `ended` is canceled and
 * incomplete_expired; `all` is everything. Cursor pagination with `starting_after` (an id Stripe must know).
 */
function listSubscriptions(account: StubAccount, request: RouteRequest): Reply {
  const read = readParams(request.params, SUBSCRIPTION_LIST);
  if ('error' in read) return read.error;
  const { params } = read;
  const status = stringParam(params, 'status');
  if (status !== undefined && !SUBSCRIPTION_LIST_STATUSES.includes(status)) {
    const choices = `${SUBSCRIPTION_LIST_STATUSES.slice(0, -1).join(', ')}, or ${SUBSCRIPTION_LIST_STATUSES.at(-1)}`;
    return { ...invalidRequest(`Invalid status: must be one of ${choices}`, 'status'), unsaved: true };
  }
  const limit = integerParam(params, 'limit') ?? 10;
  if (limit < 1) return belowOne('limit');
  if (limit > 100)
    return { ...invalidRequest('This value must be less than or equal to 100.', 'limit'), unsaved: true };
  if (params.ending_before !== undefined) {
    return invalidRequest('The Stripe stub does not implement `ending_before`.', 'ending_before');
  }
  const tooDeep = expandParam(params).find((path) => path.split('.').length > MAX_EXPAND_DEPTH);
  if (tooDeep !== undefined) {
    return {
      ...invalidRequest(
        `You cannot expand more than ${MAX_EXPAND_DEPTH} levels of a property. Property: ${tooDeep}`,
        undefined,
        'property_expansion_max_depth',
      ),
      unsaved: true,
    };
  }
  const customer = stringParam(params, 'customer');
  if (customer !== undefined && !account.customers.has(customer) && !account.deletedCustomers.has(customer)) {
    return noSuch('customer', customer, 'customer');
  }
  const newestFirst = [...account.subscriptions.values()].reverse();
  const startingAfter = stringParam(params, 'starting_after');
  const cursor = startingAfter === undefined ? -1 : newestFirst.findIndex(({ id }) => id === startingAfter);
  if (startingAfter !== undefined && cursor === -1) return noSuch('subscription', startingAfter, 'starting_after');
  const price = stringParam(params, 'price');
  const matching = newestFirst
    .slice(cursor + 1)
    .filter(
      (subscription) =>
        listedForStatus(subscription.status, status) &&
        (customer === undefined || subscription.customer === customer) &&
        (price === undefined || subscription.items.data.some((item) => item.price.id === price)),
    );
  const page = {
    object: 'list',
    data: matching.slice(0, limit),
    has_more: matching.length > limit,
    url: '/v1/subscriptions',
  };
  return expandedReply(account, page, expandParam(params));
}

function listedForStatus(status: Stripe.Subscription.Status, filter: string | undefined): boolean {
  if (filter === 'all') return true;
  if (filter === undefined) return status !== 'canceled';
  if (filter === 'ended') return status === 'canceled' || status === 'incomplete_expired';
  return status === filter;
}

function createCheckoutSession(account: StubAccount, request: RouteRequest): Reply {
  const read = readParams(request.params, CHECKOUT_SESSION_CREATE);
  if ('error' in read) return read.error;
  const { params } = read;
  const mode = stringParam(params, 'mode');
  if (mode === undefined) return missingParam('mode');
  if (mode !== 'payment' && mode !== 'subscription') {
    if (mode === 'setup') return invalidRequest('The Stripe stub does not implement `setup` mode.', 'mode');
    return { ...invalidRequest('Invalid mode: must be one of payment, setup, or subscription', 'mode'), unsaved: true };
  }
  const customerId = stringParam(params, 'customer');
  if (customerId !== undefined && !account.customers.has(customerId)) return noSuch('customer', customerId, 'customer');
  if (mode === 'payment' && params.subscription_data !== undefined) {
    return invalidRequest('You can not pass `subscription_data` in `payment` mode.', 'subscription_data');
  }
  if (mode === 'subscription' && params.payment_intent_data !== undefined) {
    return invalidRequest('You can not pass `payment_intent_data` in `subscription` mode.', 'payment_intent_data');
  }
  const lineItems = listParam(params.line_items);
  if (lineItems.length === 0) return missingParam('line_items');
  if (lineItems.length > 1) return invalidRequest('The Stripe stub takes exactly one line item.', 'line_items');
  const [lineItem] = lineItems;
  const priceId = stringParam(lineItem, 'price');
  if (priceId === undefined) return missingParam('line_items[0][price]');
  const quantity = integerParam(lineItem, 'quantity');
  if (quantity === undefined) return missingParam('line_items[0][quantity]');
  if (quantity < 1) return belowOne('line_items[0][quantity]');
  const price = account.prices.get(priceId);
  const priceParam = 'line_items[0][price]';
  if (!price) return noSuch('price', priceId, priceParam);
  if (!price.active) {
    return invalidRequest('The price specified is inactive. This field only accepts active prices.', priceParam);
  }
  if (mode === 'subscription' && !price.recurring) {
    return invalidRequest(
      'You must provide at least one recurring price in `subscription` mode when using prices.',
      priceParam,
    );
  }
  if (mode === 'payment' && price.recurring) {
    return invalidRequest(
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      priceParam,
    );
  }
  const subscriptionData = objectParam(params, 'subscription_data') ?? {};
  const trialPeriodDays = integerParam(subscriptionData, 'trial_period_days');
  if (trialPeriodDays !== undefined && trialPeriodDays < 1) return belowOne('subscription_data[trial_period_days]');

  const session = checkoutSessionObject(account.clock(), {
    id: stripeId(`cs_${account.mode}`, 58),
    mode,
    customer: customerId ?? null,
    // A trial's first invoice is free: nothing is due at checkout.
    amount: trialPeriodDays ? 0 : (price.unit_amount ?? 0) * quantity,
    currency: price.currency,
    successUrl: stringParam(params, 'success_url') ?? null,
    cancelUrl: stringParam(params, 'cancel_url') ?? null,
    clientReferenceId: stringParam(params, 'client_reference_id') ?? null,
    metadata: metadataParam(params),
  });
  account.sessions.set(session.id, session);
  account.checkoutTerms.set(session.id, {
    price: price.id,
    quantity,
    lineItemId: stripeId('li'),
    trialPeriodDays,
    subscriptionMetadata: metadataParam(subscriptionData),
    paymentIntentMetadata: metadataParam(objectParam(params, 'payment_intent_data') ?? {}),
  });
  return expandedReply(account, session, expandParam(params));
}

function expireCheckoutSession(account: StubAccount, request: RouteRequest, id: string): Reply {
  const read = readParams(request.params, RETRIEVE);
  if ('error' in read) return read.error;
  const session = account.sessions.get(id);
  if (!session) return noSuch('checkout.session', id, 'id', 404);
  if (session.status !== 'open') {
    return invalidRequest(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of \`${session.status}\`.`,
    );
  }
  expireCheckout(account, id);
  return expandedReply(account, session, expandParam(read.params));
}

function updateSubscriptionRoute(account: StubAccount, request: RouteRequest, id: string): Reply {
  const read = readParams(request.params, SUBSCRIPTION_UPDATE);
  if ('error' in read) return read.error;
  const { params } = read;
  const subscription = account.subscriptions.get(id);
  if (!subscription) return noSuch('subscription', id, 'id', 404);
  const behavior = stringParam(params, 'proration_behavior');
  if (behavior !== undefined && !PRORATION_BEHAVIORS.includes(behavior))
    return badProrationBehavior('proration_behavior');
  if (hasEnded(subscription)) return invalidRequest(CANCELED_SUBSCRIPTION);
  const cancelAt = stringParam(params, 'cancel_at');
  if (cancelAt !== undefined && cancelAt !== '' && !/^\d+$/.test(cancelAt)) {
    return invalidRequest('Invalid integer: ' + cancelAt, 'cancel_at');
  }
  if (cancelAt !== undefined && booleanParam(params, 'cancel_at_period_end') !== undefined) {
    return invalidRequest('You may only specify one of these parameters: cancel_at, cancel_at_period_end.');
  }
  const items = listParam(params.items);
  const change = items.length === 0 ? undefined : itemChange(account, subscription, items, 'items');
  if (change && 'error' in change) return change.error;
  account.apiEvents.push(
    ...applySubscriptionUpdate(account, id, {
      cancelAtPeriodEnd: booleanParam(params, 'cancel_at_period_end'),
      cancelAt: cancelAt === undefined ? undefined : cancelAt === '' ? null : Number(cancelAt),
      item: change?.item,
    }),
  );
  return expandedReply(account, subscription, expandParam(params));
}

function cancelSubscriptionRoute(account: StubAccount, request: RouteRequest, id: string): Reply {
  const read = readParams(request.params, SUBSCRIPTION_CANCEL);
  if ('error' in read) return read.error;
  const subscription = account.subscriptions.get(id);
  if (!subscription) return noSuch('subscription', id, 'id', 404);
  if (hasEnded(subscription)) return invalidRequest(CANCELED_SUBSCRIPTION);
  account.apiEvents.push(...cancelSubscription(account, id));
  return expandedReply(account, subscription, expandParam(read.params));
}

function createInvoicePreview(account: StubAccount, request: RouteRequest): Reply {
  const read = readParams(request.params, INVOICE_CREATE_PREVIEW);
  if ('error' in read) return read.error;
  const { params } = read;
  const subscriptionId = stringParam(params, 'subscription');
  if (subscriptionId === undefined) {
    return invalidRequest('The Stripe stub previews only the invoices of a subscription: pass `subscription`.');
  }
  const subscription = account.subscriptions.get(subscriptionId);
  if (!subscription) return noSuch('subscription', subscriptionId, 'subscription');
  const customer = stringParam(params, 'customer');
  if (customer !== undefined && customer !== subscription.customer) {
    return invalidRequest(
      `The subscription '${subscriptionId}' does not belong to customer '${customer}'.`,
      'customer',
    );
  }
  if (hasEnded(subscription)) {
    return invalidRequest(
      `No upcoming invoices for customer: ${String(subscription.customer)}`,
      undefined,
      'invoice_upcoming_none',
    );
  }
  const details = objectParam(params, 'subscription_details') ?? {};
  const behavior = stringParam(details, 'proration_behavior') ?? 'create_prorations';
  if (!PRORATION_BEHAVIORS.includes(behavior)) return badProrationBehavior('subscription_details[proration_behavior]');
  const [first] = subscription.items.data;
  const start = first.current_period_start;
  const end = first.current_period_end;
  const prorationDate = integerParam(details, 'proration_date');
  if (prorationDate !== undefined && (behavior === 'none' || prorationDate < start || prorationDate > end)) {
    return invalidRequest(
      "subscription_details[proration_date] must be within the current period, and proration_behavior cannot be 'none' with it.",
      'subscription_details[proration_date]',
    );
  }
  const items = listParam(details.items);
  const change =
    items.length === 0 ? undefined : itemChange(account, subscription, items, 'subscription_details[items]');
  if (change && 'error' in change) return change.error;
  const item = change ? subscription.items.data.find((each) => each.id === change.item.id) : first;
  if (!item) {
    return invalidRequest(
      'The Stripe stub previews changes of an existing item only: pass its id.',
      'subscription_details[items][0][id]',
    );
  }
  const invoice = previewItemChange(
    account,
    subscription.id,
    { item, price: change?.item.price ?? item.price, quantity: change?.item.quantity ?? item.quantity ?? 1 },
    behavior as ProrationBehavior,
    prorationDate ?? nowInSeconds(),
  );
  return expandedReply(account, invoice, expandParam(params));
}

/**
 * The one item a request changes (`<prefix>[0]`), checked as Stripe checks it: with `id`, that item of the
 * subscription gets the price and the quantity (reset to 1 when the price changes and none is given); without, a new
 * item is added. The stub changes one item per request.
 */
function itemChange(
  account: StubAccount,
  subscription: Stripe.Subscription,
  items: Params[],
  prefix: string,
): { item: { id?: string; price: Stripe.Price; quantity: number } } | { error: Reply } {
  if (items.length > 1) {
    return { error: invalidRequest('The Stripe stub changes at most one subscription item per request.', prefix) };
  }
  const [requested] = items;
  const itemId = stringParam(requested, 'id');
  const existing = itemId === undefined ? undefined : subscription.items.data.find((item) => item.id === itemId);
  if (itemId !== undefined && !existing) {
    return { error: noSuch('subscription item', itemId, `${prefix}[0][id]`) };
  }
  const priceParam = `${prefix}[0][price]`;
  const priceId = stringParam(requested, 'price') ?? existing?.price.id;
  if (priceId === undefined) return { error: missingParam(priceParam) };
  const price = account.prices.get(priceId);
  if (!price) return { error: noSuch('price', priceId, priceParam) };
  if (!price.active) {
    return {
      error: invalidRequest('The price specified is inactive. This field only accepts active prices.', priceParam),
    };
  }
  if (!price.recurring) {
    return {
      error: invalidRequest(
        'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
        priceParam,
      ),
    };
  }
  if (price.currency !== subscription.currency) {
    return {
      error: invalidRequest(
        `The price specified has currency \`${price.currency}\`, but the subscription has currency \`${subscription.currency}\`. All prices on a subscription must have the same currency.`,
        priceParam,
      ),
    };
  }
  if (!existing && subscription.items.data.some((item) => item.price.id === price.id)) {
    return {
      error: invalidRequest(`Cannot add multiple subscription items with the same price: ${price.id}.`, priceParam),
    };
  }
  const quantity =
    integerParam(requested, 'quantity') ?? (existing && existing.price.id === price.id ? (existing.quantity ?? 1) : 1);
  return { item: { id: itemId, price, quantity } };
}

function badProrationBehavior(param: string): Reply {
  return {
    ...invalidRequest(`Invalid ${param}: must be one of always_invoice, create_prorations, or none`, param),
    unsaved: true,
  };
}

function expandedReply(account: StubAccount, object: object, paths: string[]): Reply {
  try {
    return ok(account.expanded(object, paths));
  } catch (error) {
    if (error instanceof CannotExpand) return { ...invalidRequest(error.message), unsaved: true };
    throw error;
  }
}

function missingParam(param: string): Reply {
  return { ...invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing'), unsaved: true };
}

function belowOne(param: string): Reply {
  return { ...invalidRequest('This value must be greater than or equal to 1.', param), unsaved: true };
}
