import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '#libs/stripe';
import { StripeStub } from './support/stripe-stub.js';

// The stub is what every checkout and webhook test trusts to behave like Stripe: this drives it with the real SDK.
const KEY = 'sk_test_StubLifeStubLifeStubLife1234';
const LIVE_KEY = 'sk_live_StubLifeStubLifeStubLife1234';
const WEBHOOK_SECRET = 'whsec_stubLifeSecret0123456789';
const SUCCESS_URL = 'https://myapp.example.com/billing/done?session_id={CHECKOUT_SESSION_ID}';
const CANCEL_URL = 'https://myapp.example.com/billing';
const DAY = 86_400;

type SessionParams = Stripe.Checkout.SessionCreateParams;

/** An object as it travels as JSON (Stripe's decimals become strings). */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** What Stripe said, as stripe-node surfaces it. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => {
      throw new Error('Stripe accepted the request');
    },
    (rejected: unknown) => rejected,
  );
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  return {
    status: error.statusCode,
    type: error.rawType,
    code: error.code,
    param: error.param,
    message: error.message,
  };
}

describe('the Stripe stub, driven by stripe-node', () => {
  const stub = new StripeStub();
  let stripe: Stripe;
  let monthly: string;
  let oneTime: string;

  const subscriptionSession = (customer: string, extra: Partial<SessionParams> = {}) =>
    stripe.checkout.sessions.create({
      customer,
      mode: 'subscription',
      line_items: [{ price: monthly, quantity: 1 }],
      success_url: SUCCESS_URL,
      cancel_url: CANCEL_URL,
      ...extra,
    });
  const newCustomer = () => stripe.customers.create({ email: 'ada@example.com', name: 'Ada' });
  /** A customer with an active monthly subscription, bought through Checkout. */
  const subscribed = async (payment: 'succeeds' | 'fails' = 'succeeds') => {
    const customer = await newCustomer();
    const session = await subscriptionSession(customer.id);
    const events = stub.completeCheckout(KEY, session.id, { payment });
    return { customer, session, events, subscriptionId: stub.checkoutSession(KEY, session.id)!.subscription as string };
  };

  beforeAll(async () => {
    const url = new URL(await stub.start());
    stripe = new Stripe(KEY, {
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      apiVersion: STRIPE_API_VERSION,
      maxNetworkRetries: 0,
      telemetry: false,
    });
    stub.addAccount(KEY, ['cus_seeded']);
    stub.addAccount(LIVE_KEY, []);
  });

  afterAll(() => stub.stop());

  beforeEach(() => {
    stub.reset();
    stub.resetObjects();
    monthly = stub.addPrice(KEY, { unitAmount: 2000, recurring: { interval: 'month' }, productName: 'Pro' });
    oneTime = stub.addPrice(KEY, { unitAmount: 500, productName: 'Credits' });
  });

  describe('customers', () => {
    it('creates one per Idempotency-Key: the same parameters replay it, other parameters are refused', async () => {
      const params = { email: 'ada@example.com', name: 'Ada', metadata: { user_id: 'u1' } };
      const created = await stripe.customers.create(params, { idempotencyKey: 'signup-1' });
      const replayed = await stripe.customers.create(params, { idempotencyKey: 'signup-1' });

      expect(created).toMatchObject({
        object: 'customer',
        email: 'ada@example.com',
        name: 'Ada',
        metadata: { user_id: 'u1' },
        livemode: false,
        balance: 0,
        invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      });
      expect(created.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
      expect(replayed).toEqual(created);
      expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(stub.customers(KEY).map((customer) => customer.id)).toEqual(['cus_seeded', created.id]);

      expect(
        await refusal(stripe.customers.create({ ...params, name: 'Bob' }, { idempotencyKey: 'signup-1' })),
      ).toEqual({
        status: 400,
        type: 'idempotency_error',
        code: undefined,
        param: undefined,
        message:
          "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'signup-1' if you meant to execute a different request.",
      });
      expect(
        await refusal(
          stripe.checkout.sessions.create(
            { mode: 'payment', line_items: [{ price: oneTime, quantity: 1 }] },
            { idempotencyKey: 'signup-1' },
          ),
        ),
      ).toMatchObject({
        status: 400,
        type: 'idempotency_error',
        message:
          "Keys for idempotent requests can only be used for the same endpoint they were first used for ('/v1/checkout/sessions' vs '/v1/customers'). Try using a key other than 'signup-1' if you meant to execute a different request.",
      });
      expect(stub.customers(KEY)).toHaveLength(2);
    });

    it('refuses unknown parameters, naming each, and keeps no idempotent result for them', async () => {
      const unknown = { email: 'a@example.com', phone_number: '1', nickname: 'x' } as Stripe.CustomerCreateParams;
      expect(await refusal(stripe.customers.create(unknown, { idempotencyKey: 'k' }))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: 'parameter_unknown',
        param: 'phone_number',
        message: 'Received unknown parameters: phone_number, nickname',
      });
      // Refused before it ran: the same key is free for a good request.
      await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'k' });
      expect(stub.customers(KEY)).toHaveLength(2);
    });

    it('retrieves a deleted customer as {id, object, deleted}, and 404s an unknown one', async () => {
      const customer = await newCustomer();
      expect(await stripe.customers.del(customer.id)).toEqual({ id: customer.id, object: 'customer', deleted: true });

      expect(await stripe.customers.retrieve(customer.id)).toEqual({
        id: customer.id,
        object: 'customer',
        deleted: true,
      });
      expect(stub.customer(KEY, customer.id)).toEqual({ id: customer.id, object: 'customer', deleted: true });
      expect(stub.customers(KEY).map((live) => live.id)).toEqual(['cus_seeded']);
      expect(await refusal(stripe.customers.del(customer.id))).toEqual({
        status: 404,
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'id',
        message: `No such customer: '${customer.id}'`,
      });
    });

    it('lets the customer portal open for a customer created through the API', async () => {
      const customer = await newCustomer();
      const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: CANCEL_URL });
      expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\/test_/);
    });
  });

  describe('checkout sessions', () => {
    it('opens a subscription session exactly as asked: URLs as sent, unpaid, nothing created yet', async () => {
      const customer = await newCustomer();
      const session = await subscriptionSession(customer.id, {
        client_reference_id: 'user-1',
        metadata: { user_id: 'u1' },
        subscription_data: { metadata: { project: 'p1' } },
      });

      expect(session).toMatchObject({
        object: 'checkout.session',
        mode: 'subscription',
        status: 'open',
        payment_status: 'unpaid',
        customer: customer.id,
        client_reference_id: 'user-1',
        metadata: { user_id: 'u1' },
        success_url: SUCCESS_URL,
        cancel_url: CANCEL_URL,
        subscription: null,
        payment_intent: null,
        invoice: null,
        amount_total: 2000,
        currency: 'usd',
        livemode: false,
        ui_mode: 'hosted_page',
      });
      expect(session.id).toMatch(/^cs_test_/);
      expect(session.url).toBe(`https://checkout.stripe.com/c/pay/${session.id}`);
      expect(session.expires_at).toBe(session.created + DAY);
      expect(session).not.toHaveProperty('line_items');
      expect(await stripe.checkout.sessions.retrieve(session.id)).toEqual(session);
      expect(stub.checkoutSessions(KEY)).toEqual([session]);
    });

    it('expands what it is asked to, and refuses what cannot be expanded', async () => {
      const customer = await newCustomer();
      const session = await subscriptionSession(customer.id, { expand: ['customer', 'line_items'] });

      expect(session.customer).toMatchObject({ id: customer.id, object: 'customer', email: 'ada@example.com' });
      expect(session.line_items).toMatchObject({
        object: 'list',
        data: [{ object: 'item', quantity: 1, amount_total: 2000, description: 'Pro', price: { id: monthly } }],
      });
      expect(await refusal(stripe.checkout.sessions.retrieve(session.id, { expand: ['status.x'] }))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: undefined,
        param: undefined,
        message: 'This property cannot be expanded (status.x).',
      });
    });

    const refusals: [string, () => SessionParams, Record<string, unknown>][] = [
      [
        'an unknown customer',
        () => ({ customer: 'cus_nobody', mode: 'subscription', line_items: [{ price: monthly, quantity: 1 }] }),
        { code: 'resource_missing', param: 'customer', message: "No such customer: 'cus_nobody'" },
      ],
      [
        'an unknown price',
        () => ({ mode: 'subscription', line_items: [{ price: 'price_nothing', quantity: 1 }] }),
        { code: 'resource_missing', param: 'line_items[0][price]', message: "No such price: 'price_nothing'" },
      ],
      [
        'an inactive price',
        () => ({
          mode: 'subscription',
          line_items: [
            {
              price: stub.addPrice(KEY, { unitAmount: 1, recurring: { interval: 'year' }, active: false }),
              quantity: 1,
            },
          ],
        }),
        {
          code: undefined,
          param: 'line_items[0][price]',
          message: 'The price specified is inactive. This field only accepts active prices.',
        },
      ],
      [
        'a one-time price in subscription mode',
        () => ({ mode: 'subscription', line_items: [{ price: oneTime, quantity: 1 }] }),
        {
          code: undefined,
          param: 'line_items[0][price]',
          message: 'You must provide at least one recurring price in `subscription` mode when using prices.',
        },
      ],
      [
        'a recurring price in payment mode',
        () => ({ mode: 'payment', line_items: [{ price: monthly, quantity: 1 }] }),
        {
          code: undefined,
          param: 'line_items[0][price]',
          message:
            'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
        },
      ],
      [
        'subscription_data in payment mode',
        () => ({
          mode: 'payment',
          line_items: [{ price: oneTime, quantity: 1 }],
          subscription_data: { metadata: { a: 'b' } },
        }),
        {
          code: undefined,
          param: 'subscription_data',
          message: 'You can not pass `subscription_data` in `payment` mode.',
        },
      ],
      [
        'payment_intent_data in subscription mode',
        () => ({
          mode: 'subscription',
          line_items: [{ price: monthly, quantity: 1 }],
          payment_intent_data: { metadata: { a: 'b' } },
        }),
        {
          code: undefined,
          param: 'payment_intent_data',
          message: 'You can not pass `payment_intent_data` in `subscription` mode.',
        },
      ],
      [
        'an unknown parameter',
        () => ({
          mode: 'subscription',
          line_items: [{ price: monthly, quantity: 1 }],
          automatic_tax: { enabled: true },
        }),
        { code: 'parameter_unknown', param: 'automatic_tax', message: 'Received unknown parameter: automatic_tax' },
      ],
      [
        'an unknown nested parameter',
        () => ({
          mode: 'subscription',
          line_items: [{ price: monthly, quantity: 1, tax_rates: ['txr_1'] }],
          subscription_data: { trial_period_days: 7, description: 'x' },
        }),
        {
          code: 'parameter_unknown',
          param: 'line_items[0][tax_rates]',
          message: 'Received unknown parameters: line_items[0][tax_rates], subscription_data[description]',
        },
      ],
      [
        'no mode',
        () => ({ line_items: [{ price: monthly, quantity: 1 }] }),
        { code: 'parameter_missing', param: 'mode', message: 'Missing required param: mode.' },
      ],
      [
        'a quantity that is no integer',
        () => ({ mode: 'subscription', line_items: [{ price: monthly, quantity: 1.5 }] }),
        { code: 'parameter_invalid_integer', param: 'line_items[0][quantity]', message: 'Invalid integer: 1.5' },
      ],
    ];

    it.each(refusals)('refuses %s as Stripe does, creating nothing', async (_case, params, expected) => {
      expect(await refusal(stripe.checkout.sessions.create(params()))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        ...expected,
      });
      expect(stub.checkoutSessions(KEY)).toEqual([]);
    });

    it('refuses a deleted customer as an unknown one', async () => {
      const customer = await newCustomer();
      stub.deleteCustomer(KEY, customer.id);
      expect(await refusal(subscriptionSession(customer.id))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'customer',
        message: `No such customer: '${customer.id}'`,
      });
    });

    it('expires an open session once, then refuses to expire it again', async () => {
      const session = await subscriptionSession((await newCustomer()).id);
      const expired = await stripe.checkout.sessions.expire(session.id);

      expect(expired).toMatchObject({ id: session.id, status: 'expired', url: null, payment_status: 'unpaid' });
      expect(await refusal(stripe.checkout.sessions.expire(session.id))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: undefined,
        param: undefined,
        message:
          'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of `expired`.',
      });
      expect(() => stub.completeCheckout(KEY, session.id)).toThrow(`is expired, not open`);
    });

    it('reports a session that times out: checkout.session.expired', async () => {
      const session = await subscriptionSession((await newCustomer()).id);
      const [event] = stub.expireCheckout(KEY, session.id);
      expect(event).toMatchObject({
        type: 'checkout.session.expired',
        data: { object: { id: session.id, status: 'expired' } },
      });
      expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
    });
  });

  describe('a subscription bought through Checkout', () => {
    it('completes: the subscription, its paid first invoice, then the session, in Stripe order', async () => {
      const customer = await newCustomer();
      const session = await subscriptionSession(customer.id, {
        line_items: [{ price: monthly, quantity: 2 }],
        subscription_data: { metadata: { project: 'p1' } },
      });

      const events = stub.completeCheckout(KEY, session.id);

      expect(events.map((event) => event.type)).toEqual([
        'customer.subscription.created',
        'invoice.paid',
        'checkout.session.completed',
      ]);
      for (const event of events) {
        expect(event).toMatchObject({
          object: 'event',
          api_version: STRIPE_API_VERSION,
          livemode: false,
          pending_webhooks: 1,
          request: { id: null, idempotency_key: null },
        });
        expect(event.id).toMatch(/^evt_/);
        expect(event.data).not.toHaveProperty('previous_attributes');
      }
      const completed = await stripe.checkout.sessions.retrieve(session.id);
      const subscriptionId = completed.subscription as string;
      expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', url: null, customer: customer.id });
      expect(subscriptionId).toMatch(/^sub_/);
      expect(json(events[2].data.object)).toEqual(json(completed));
    });

    it('retrieves the subscription: the period on its item only, price and product expanded when asked', async () => {
      const { subscriptionId } = await subscribed();

      const subscription = await stripe.subscriptions.retrieve(subscriptionId, {
        expand: ['items.data.price.product'],
      });

      expect(subscription).toMatchObject({ object: 'subscription', status: 'active', cancel_at_period_end: false });
      expect(subscription).not.toHaveProperty('current_period_start');
      expect(subscription).not.toHaveProperty('current_period_end');
      const [item] = subscription.items.data;
      const start = new Date(item.current_period_start * 1000);
      const end = new Date(item.current_period_end * 1000);
      expect(end.getUTCMonth()).toBe((start.getUTCMonth() + 1) % 12);
      expect(item).toMatchObject({ object: 'subscription_item', quantity: 1, subscription: subscriptionId });
      expect(item.price).toMatchObject({ id: monthly, unit_amount: 2000, recurring: { interval: 'month' } });
      expect(item.price.product).toMatchObject({ object: 'product', name: 'Pro' });
      expect(typeof subscription.latest_invoice).toBe('string');

      const unexpanded = await stripe.subscriptions.retrieve(subscriptionId);
      expect(unexpanded.items.data[0].price.product).toEqual(expect.stringMatching(/^prod_/));
      expect(json(stub.subscription(KEY, subscriptionId))).toEqual(json(unexpanded));
    });

    it('retrieves its invoice with its payments only when asked, linked to the subscription by its parent', async () => {
      const { subscriptionId, events } = await subscribed();
      const invoiceId = stub.subscription(KEY, subscriptionId)!.latest_invoice as string;
      const paidEvent = events[1];
      expect(paidEvent).toMatchObject({ type: 'invoice.paid', data: { object: { id: invoiceId } } });

      const invoice = await stripe.invoices.retrieve(invoiceId);
      expect(invoice).toMatchObject({
        object: 'invoice',
        status: 'paid',
        billing_reason: 'subscription_create',
        amount_due: 2000,
        amount_paid: 2000,
        amount_remaining: 0,
        attempt_count: 1,
        parent: { type: 'subscription_details', subscription_details: { subscription: subscriptionId } },
      });
      for (const absent of ['payments', 'subscription', 'payment_intent', 'charge']) {
        expect(invoice).not.toHaveProperty(absent);
        expect(stub.invoice(KEY, invoiceId)).not.toHaveProperty(absent);
        expect(paidEvent.data.object).not.toHaveProperty(absent);
      }

      const withPayments = await stripe.invoices.retrieve(invoiceId, { expand: ['payments'] });
      expect(withPayments.payments).toMatchObject({
        object: 'list',
        data: [{ object: 'invoice_payment', status: 'paid', amount_paid: 2000, invoice: invoiceId, is_default: true }],
      });
      const [payment] = withPayments.payments!.data;
      expect(payment.payment).toEqual({ type: 'payment_intent', payment_intent: expect.stringMatching(/^pi_/) });

      const intent = await stripe.paymentIntents.retrieve(payment.payment.payment_intent as string);
      expect(intent).toMatchObject({ status: 'succeeded', amount: 2000, amount_received: 2000 });
      expect(intent).not.toHaveProperty('invoice');
      const charge = await stripe.charges.retrieve(intent.latest_charge as string);
      expect(charge).toMatchObject({ status: 'succeeded', paid: true, amount: 2000, payment_intent: intent.id });
      expect(charge).not.toHaveProperty('invoice');
      expect(stub.charges(KEY).map((one) => one.id)).toEqual([charge.id]);

      const deep = await stripe.invoices.retrieve(invoiceId, { expand: ['payments.data.payment.payment_intent'] });
      expect(deep.payments!.data[0].payment.payment_intent).toMatchObject({ id: intent.id, object: 'payment_intent' });
    });

    it('refunds a charge in parts, amount_refunded adding up', async () => {
      await subscribed();
      const [charge] = stub.charges(KEY);

      const [partial] = stub.refundCharge(KEY, charge.id, 1500);
      const [rest] = stub.refundCharge(KEY, charge.id);

      expect(partial).toMatchObject({
        type: 'charge.refunded',
        data: { object: { amount_refunded: 1500, refunded: false } },
      });
      expect(rest).toMatchObject({
        type: 'charge.refunded',
        data: { object: { amount_refunded: 2000, refunded: true } },
      });
      expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 2000, refunded: true });
      expect(() => stub.refundCharge(KEY, charge.id, 1)).toThrow('0 is refundable');
    });

    it('deletes the customer: its subscriptions are canceled first', async () => {
      const { customer, subscriptionId } = await subscribed();

      const events = stub.deleteCustomer(KEY, customer.id);

      expect(events.map((event) => [event.type, (event.data.object as { id: string }).id])).toEqual([
        ['customer.subscription.deleted', subscriptionId],
        ['customer.deleted', customer.id],
      ]);
      expect(await stripe.subscriptions.retrieve(subscriptionId)).toMatchObject({
        status: 'canceled',
        cancellation_details: { reason: 'cancellation_requested' },
      });
      expect(await stripe.customers.retrieve(customer.id)).toEqual({
        id: customer.id,
        object: 'customer',
        deleted: true,
      });
    });

    it('starts a trial: trialing until trial_end, nothing to pay, a free invoice without payments', async () => {
      const customer = await newCustomer();
      const session = await subscriptionSession(customer.id, { subscription_data: { trial_period_days: 14 } });
      expect(session.amount_total).toBe(0);

      const events = stub.completeCheckout(KEY, session.id);

      expect(events.map((event) => event.type)).toEqual([
        'customer.subscription.created',
        'invoice.paid',
        'checkout.session.completed',
      ]);
      const subscription = stub.subscription(KEY, stub.checkoutSession(KEY, session.id)!.subscription as string)!;
      expect(subscription.status).toBe('trialing');
      expect(subscription.trial_end).toBe(subscription.trial_start! + 14 * DAY);
      expect(subscription.items.data[0].current_period_end).toBe(subscription.trial_end);
      expect(stub.checkoutSession(KEY, session.id)!.payment_status).toBe('no_payment_required');
      const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string, { expand: ['payments'] });
      expect(invoice).toMatchObject({ status: 'paid', amount_due: 0, amount_paid: 0, payments: { data: [] } });
      expect(stub.charges(KEY)).toEqual([]);
    });

    it('leaves the subscription incomplete when the first payment fails, until the invoice is paid', async () => {
      const { events, subscriptionId } = await subscribed('fails');

      expect(events.map((event) => event.type)).toEqual([
        'customer.subscription.created',
        'invoice.payment_failed',
        'checkout.session.completed',
      ]);
      const subscription = stub.subscription(KEY, subscriptionId)!;
      const invoiceId = subscription.latest_invoice as string;
      expect(subscription.status).toBe('incomplete');
      expect(stub.invoice(KEY, invoiceId)).toMatchObject({ status: 'open', attempt_count: 1, amount_paid: 0 });
      expect(stub.charges(KEY)).toMatchObject([{ status: 'failed', failure_code: 'card_declined', paid: false }]);

      const paid = stub.retryInvoice(KEY, invoiceId);

      expect(paid.map((event) => event.type)).toEqual(['invoice.paid', 'customer.subscription.updated']);
      expect(paid[1].data).toMatchObject({
        object: { status: 'active' },
        previous_attributes: { status: 'incomplete' },
      });
      expect(stub.invoice(KEY, invoiceId)).toMatchObject({ status: 'paid', attempt_count: 2, amount_paid: 2000 });
      expect(stub.charges(KEY).map((charge) => charge.status)).toEqual(['failed', 'succeeded']);
    });

    it('renews into the next period; a failed renewal goes past_due until retried', async () => {
      const { subscriptionId } = await subscribed();
      const firstEnd = stub.subscription(KEY, subscriptionId)!.items.data[0].current_period_end;

      const renewed = stub.renewSubscription(KEY, subscriptionId, { payment: 'succeeds' });
      expect(renewed.map((event) => event.type)).toEqual(['customer.subscription.updated', 'invoice.paid']);
      expect(stub.subscription(KEY, subscriptionId)!.items.data[0].current_period_start).toBe(firstEnd);

      const failed = stub.renewSubscription(KEY, subscriptionId, { payment: 'fails' });
      expect(failed.map((event) => event.type)).toEqual(['invoice.payment_failed', 'customer.subscription.updated']);
      expect(failed[0].data.object).toMatchObject({ billing_reason: 'subscription_cycle', status: 'open' });
      expect(failed[1].data).toMatchObject({
        object: { status: 'past_due' },
        previous_attributes: { status: 'active' },
      });

      const retried = stub.retryInvoice(KEY, (failed[0].data.object as Stripe.Invoice).id);
      expect(retried.map((event) => event.type)).toEqual(['invoice.paid', 'customer.subscription.updated']);
      expect(stub.subscription(KEY, subscriptionId)!.status).toBe('active');
    });

    it('reports changes made outside the API with the values they replace', async () => {
      const { subscriptionId } = await subscribed();
      const yearly = stub.addPrice(KEY, {
        unitAmount: 20000,
        recurring: { interval: 'year' },
        productName: 'Pro yearly',
      });

      const [cancelling] = stub.updateSubscription(KEY, subscriptionId, { cancel_at_period_end: true });
      expect(cancelling.type).toBe('customer.subscription.updated');
      expect(cancelling.data).toMatchObject({
        object: { cancel_at_period_end: true, cancel_at: expect.any(Number), canceled_at: expect.any(Number) },
        previous_attributes: { cancel_at_period_end: false, cancel_at: null, canceled_at: null },
      });

      const [upgraded] = stub.updateSubscription(KEY, subscriptionId, { priceId: yearly, quantity: 3 });
      expect(upgraded.data).toMatchObject({
        object: { items: { data: [{ price: { id: yearly }, quantity: 3 }] } },
        previous_attributes: { items: { data: [{ price: { id: monthly }, quantity: 1 }] } },
      });

      const paused = stub.pauseSubscription(KEY, subscriptionId);
      expect(paused.map((event) => event.type)).toEqual([
        'customer.subscription.paused',
        'customer.subscription.updated',
      ]);
      expect(stub.subscription(KEY, subscriptionId)!.status).toBe('paused');
      const resumed = stub.resumeSubscription(KEY, subscriptionId);
      expect(resumed.map((event) => event.type)).toEqual([
        'customer.subscription.resumed',
        'customer.subscription.updated',
      ]);
      expect(resumed[1].data).toMatchObject({
        object: { status: 'active' },
        previous_attributes: { status: 'paused' },
      });

      const [deleted] = stub.cancelSubscription(KEY, subscriptionId);
      expect(deleted).toMatchObject({
        type: 'customer.subscription.deleted',
        data: { object: { status: 'canceled' } },
      });
      expect(() => stub.updateSubscription(KEY, subscriptionId, { quantity: 1 })).toThrow('is canceled');
    });
  });

  describe('a subscription changed through the API', () => {
    const premium = () =>
      stub.addPrice(KEY, { unitAmount: 5000, recurring: { interval: 'month' }, productName: 'Max' });

    it('replaces the item named by id, resetting its quantity to 1 unless sent, and sends one updated event', async () => {
      const customer = await newCustomer();
      const session = await subscriptionSession(customer.id, { line_items: [{ price: monthly, quantity: 3 }] });
      stub.completeCheckout(KEY, session.id);
      const id = stub.checkoutSession(KEY, session.id)!.subscription as string;
      const itemId = stub.subscription(KEY, id)!.items.data[0].id;
      const max = premium();

      const kept = await stripe.subscriptions.update(id, {
        items: [{ id: itemId, price: max, quantity: 3 }],
        proration_behavior: 'none',
        expand: ['items.data.price.product'],
      });
      expect(kept.items.data.map((item) => [item.id, item.price.id, item.quantity])).toEqual([[itemId, max, 3]]);
      expect(kept.items.data[0].price.product).toMatchObject({ object: 'product', name: 'Max' });
      const [updated, ...more] = stub.takeApiEvents(KEY);
      expect(more).toEqual([]);
      expect(updated.data).toMatchObject({
        object: { id, items: { data: [{ price: { id: max }, quantity: 3 }] } },
        previous_attributes: { items: { data: [{ price: { id: monthly }, quantity: 3 }] } },
      });

      const reset = await stripe.subscriptions.update(id, { items: [{ id: itemId, price: monthly }] });
      expect(reset.items.data.map((item) => [item.price.id, item.quantity])).toEqual([[monthly, 1]]);

      // Without the item's id, Stripe adds a second item.
      const added = await stripe.subscriptions.update(id, { items: [{ price: max }] });
      expect(added.items.data.map((item) => [item.price.id, item.quantity])).toEqual([
        [monthly, 1],
        [max, 1],
      ]);
      expect(stub.takeApiEvents(KEY).map((event) => event.type)).toEqual([
        'customer.subscription.updated',
        'customer.subscription.updated',
      ]);
    });

    it('schedules and undoes a cancellation at period end; the same request again changes nothing', async () => {
      const { subscriptionId } = await subscribed();
      const periodEnd = stub.subscription(KEY, subscriptionId)!.items.data[0].current_period_end;

      const scheduled = await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
      expect(scheduled).toMatchObject({
        status: 'active',
        cancel_at_period_end: true,
        cancel_at: periodEnd,
        cancellation_details: { reason: 'cancellation_requested' },
      });
      expect(scheduled.canceled_at).toEqual(expect.any(Number));
      expect(await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true })).toEqual(scheduled);
      expect(stub.takeApiEvents(KEY).map((event) => event.type)).toEqual(['customer.subscription.updated']);

      const undone = await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: false });
      expect(undone).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });
      expect(stub.takeApiEvents(KEY)[0].data.previous_attributes).toMatchObject({ cancel_at_period_end: true });
    });

    it('schedules a cancellation on a date (cancel_at) and clears it with ""; never with cancel_at_period_end', async () => {
      const { subscriptionId } = await subscribed();
      const date = Math.floor(Date.now() / 1000) + 7 * 86_400;

      const scheduled = await stripe.subscriptions.update(subscriptionId, { cancel_at: date });
      expect(scheduled).toMatchObject({ cancel_at: date, cancel_at_period_end: false });
      expect(scheduled.canceled_at).toEqual(expect.any(Number));
      const cleared = await stripe.subscriptions.update(subscriptionId, { cancel_at: '' });
      expect(cleared).toMatchObject({ cancel_at: null, cancel_at_period_end: false, canceled_at: null });
      expect(stub.takeApiEvents(KEY).map((event) => event.type)).toEqual([
        'customer.subscription.updated',
        'customer.subscription.updated',
      ]);

      await expect(
        stripe.subscriptions.update(subscriptionId, { cancel_at: date, cancel_at_period_end: true }),
      ).rejects.toMatchObject({
        type: 'StripeInvalidRequestError',
        message: 'You may only specify one of these parameters: cancel_at, cancel_at_period_end.',
      });
    });

    it('cancels now with customer.subscription.deleted; an ended subscription refuses any change', async () => {
      const { subscriptionId } = await subscribed();

      const canceled = await stripe.subscriptions.cancel(subscriptionId);
      expect(canceled).toMatchObject({ status: 'canceled', ended_at: expect.any(Number) });
      expect(stub.takeApiEvents(KEY).map((event) => event.type)).toEqual(['customer.subscription.deleted']);

      const ended = {
        status: 400,
        type: 'invalid_request_error',
        code: undefined,
        param: undefined,
        message: 'A canceled subscription can only update its cancellation_details and metadata.',
      };
      expect(await refusal(stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true }))).toEqual(ended);
      expect(await refusal(stripe.subscriptions.cancel(subscriptionId))).toEqual(ended);
      expect(await refusal(stripe.subscriptions.cancel('sub_nope'))).toMatchObject({
        status: 404,
        code: 'resource_missing',
        param: 'id',
      });
    });

    it("refuses what Stripe refuses of an item's price and of the parameters", async () => {
      const { subscriptionId } = await subscribed();
      const itemId = stub.subscription(KEY, subscriptionId)!.items.data[0].id;
      const inactive = stub.addPrice(KEY, { unitAmount: 100, recurring: { interval: 'month' }, active: false });
      const euro = stub.addPrice(KEY, { unitAmount: 100, currency: 'eur', recurring: { interval: 'month' } });
      const update = (params: Stripe.SubscriptionUpdateParams) =>
        refusal(stripe.subscriptions.update(subscriptionId, params));
      const param = 'items[0][price]';

      expect(await update({ items: [{ id: itemId, price: 'price_nope' }] })).toMatchObject({
        code: 'resource_missing',
        param,
        message: "No such price: 'price_nope'",
      });
      expect(await update({ items: [{ id: itemId, price: inactive }] })).toMatchObject({ param, message: /inactive/ });
      expect(await update({ items: [{ id: itemId, price: oneTime }] })).toMatchObject({
        param,
        message: /type=recurring/,
      });
      expect(await update({ items: [{ id: itemId, price: euro }] })).toMatchObject({ param, message: /currency/ });
      expect(await update({ items: [{ id: 'si_nope', price: monthly }] })).toMatchObject({
        code: 'resource_missing',
        param: 'items[0][id]',
      });
      expect(await update({ items: [{ price: monthly }] })).toMatchObject({
        param,
        message: `Cannot add multiple subscription items with the same price: ${monthly}.`,
      });
      expect(await update({ proration_behavior: 'sometimes' as 'none' })).toMatchObject({
        param: 'proration_behavior',
      });
      expect(await update({ cancel_at_period_end: 'yes' as unknown as boolean })).toMatchObject({
        message: 'Invalid boolean: yes',
      });
      expect(stub.takeApiEvents(KEY)).toEqual([]);
    });

    it('previews the invoice a price change brings, by proration behavior, changing nothing', async () => {
      const { customer, subscriptionId } = await subscribed();
      const subscription = stub.subscription(KEY, subscriptionId)!;
      const item = subscription.items.data[0];
      const max = premium();
      // Half of the period is left.
      const prorationDate = Math.round((item.current_period_start + item.current_period_end) / 2);
      const preview = (behavior: 'create_prorations' | 'none' | 'always_invoice') =>
        stripe.invoices.createPreview({
          customer: customer.id,
          subscription: subscriptionId,
          subscription_details: {
            items: [{ id: item.id, price: max, quantity: 1 }],
            proration_behavior: behavior,
            ...(behavior !== 'none' && { proration_date: prorationDate }),
          },
        });
      const lines = (invoice: Stripe.Invoice) =>
        invoice.lines.data.map((line) => [line.amount, line.parent?.subscription_item_details?.proration]);

      const next = await preview('create_prorations');
      expect(next).toMatchObject({ object: 'invoice', status: 'draft', customer: customer.id, currency: 'usd' });
      expect(next.id).toMatch(/^upcoming_in_/);
      expect(next.parent?.subscription_details).toMatchObject({
        subscription: subscriptionId,
        subscription_proration_date: prorationDate,
      });
      const half = (amount: number) =>
        Math.round(
          (amount * (item.current_period_end - prorationDate)) / (item.current_period_end - item.current_period_start),
        );
      expect(lines(next)).toEqual([
        [-half(2000), true],
        [half(5000), true],
        [5000, false],
      ]);
      expect(next.amount_due).toBe(half(5000) - half(2000) + 5000);

      const now = await preview('always_invoice');
      expect(lines(now)).toEqual([
        [-half(2000), true],
        [half(5000), true],
      ]);
      expect(now.amount_due).toBe(half(5000) - half(2000));
      expect(lines(await preview('none'))).toEqual([[5000, false]]);

      expect(stub.subscription(KEY, subscriptionId)).toEqual(subscription);
      expect(stub.takeApiEvents(KEY)).toEqual([]);
      expect(await refusal(stripe.invoices.createPreview({ subscription: 'sub_nope' }))).toMatchObject({
        code: 'resource_missing',
        param: 'subscription',
      });
      await stripe.subscriptions.cancel(subscriptionId);
      expect(await refusal(stripe.invoices.createPreview({ subscription: subscriptionId }))).toMatchObject({
        code: 'invoice_upcoming_none',
      });
    });
  });

  describe('a one-time payment through Checkout', () => {
    it('completes with a succeeded payment intent carrying payment_intent_data metadata', async () => {
      const session = await stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: oneTime, quantity: 3 }],
        payment_intent_data: { metadata: { order: 'o1' } },
        success_url: SUCCESS_URL,
      });
      expect(session).toMatchObject({ customer: null, customer_creation: 'if_required', amount_total: 1500 });
      expect(stub.completeCheckout(KEY, session.id, { payment: 'fails' })).toEqual([]);

      const events = stub.completeCheckout(KEY, session.id);

      expect(events.map((event) => event.type)).toEqual(['checkout.session.completed']);
      const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', subscription: null });
      expect(completed.payment_intent).toMatchObject({
        status: 'succeeded',
        amount: 1500,
        metadata: { order: 'o1' },
        customer: null,
      });
    });
  });

  describe('listing subscriptions', () => {
    /** Subscriptions made outside Checkout, oldest first; `events` are what Stripe would send for each. */
    const created = (count: number, init: { customer?: string; metadata?: Stripe.Metadata } = {}) =>
      Array.from({ length: count }, () => {
        const [event] = stub.createSubscription(KEY, {
          customer: init.customer ?? 'cus_seeded',
          price: monthly,
          metadata: init.metadata,
        });
        return (event.data.object as Stripe.Subscription).id;
      });

    it('creates a subscription outside Checkout: created, its first invoice paid, metadata as given', async () => {
      const events = stub.createSubscription(KEY, { customer: 'cus_seeded', price: monthly, metadata: { a: 'b' } });
      expect(events.map((event) => event.type)).toEqual(['customer.subscription.created', 'invoice.paid']);
      const subscription = events[0].data.object as Stripe.Subscription;
      expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({
        status: 'active',
        customer: 'cus_seeded',
        metadata: { a: 'b' },
        items: { data: [{ price: { id: monthly }, quantity: 1 }] },
      });
    });

    it('lists newest first in pages of `limit`, has_more until the last, and auto-paginates with starting_after', async () => {
      const ids = created(5).reverse();
      const first = await stripe.subscriptions.list({ limit: 2 });
      expect(json(first)).toMatchObject({ object: 'list', url: '/v1/subscriptions', has_more: true });
      expect(first.data.map(({ id }) => id)).toEqual(ids.slice(0, 2));
      const last = await stripe.subscriptions.list({ limit: 2, starting_after: ids[3] });
      expect({ ids: last.data.map(({ id }) => id), has_more: last.has_more }).toEqual({
        ids: [ids[4]],
        has_more: false,
      });

      stub.reset();
      const all = await stripe.subscriptions.list({ limit: 2 }).autoPagingToArray({ limit: 100 });
      expect(all.map(({ id }) => id)).toEqual(ids);
      expect(stub.requests.map(({ path }) => decodeURIComponent(path))).toEqual([
        '/v1/subscriptions?limit=2',
        `/v1/subscriptions?limit=2&starting_after=${ids[1]}`,
        `/v1/subscriptions?limit=2&starting_after=${ids[3]}`,
      ]);
      // Stripe's default page is 10.
      expect((await stripe.subscriptions.list()).data).toHaveLength(5);
    });

    it('leaves canceled subscriptions out unless asked: status all, canceled, ended, or one status', async () => {
      const [canceled, pastDue, active] = created(3);
      stub.cancelSubscription(KEY, canceled);
      stub.renewSubscription(KEY, pastDue, { payment: 'fails' });
      const listed = async (params: Stripe.SubscriptionListParams) =>
        (await stripe.subscriptions.list(params)).data.map(({ id }) => id);
      expect(await listed({})).toEqual([active, pastDue]);
      expect(await listed({ status: 'all' })).toEqual([active, pastDue, canceled]);
      expect(await listed({ status: 'canceled' })).toEqual([canceled]);
      expect(await listed({ status: 'ended' })).toEqual([canceled]);
      expect(await listed({ status: 'past_due' })).toEqual([pastDue]);
      expect(await listed({ status: 'trialing' })).toEqual([]);
    });

    it("filters by customer and price, the customer's own being the only ones listed", async () => {
      const other = await newCustomer();
      const [mine] = created(1);
      const [theirs] = created(1, { customer: other.id });
      const listed = async (params: Stripe.SubscriptionListParams) =>
        (await stripe.subscriptions.list(params)).data.map(({ id }) => id);
      expect(await listed({ customer: other.id })).toEqual([theirs]);
      expect(await listed({ customer: 'cus_seeded', price: monthly })).toEqual([mine]);
      expect(await listed({ price: oneTime })).toEqual([]);
    });

    it('expands within the list up to four levels, and refuses a fifth as Stripe does', async () => {
      created(1);
      const page = await stripe.subscriptions.list({ expand: ['data.customer', 'data.items.data.price'] });
      expect(page.data[0].customer).toMatchObject({ object: 'customer', id: 'cus_seeded' });
      expect(await refusal(stripe.subscriptions.list({ expand: ['data.items.data.price.product'] }))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: 'property_expansion_max_depth',
        param: undefined,
        message: 'You cannot expand more than 4 levels of a property. Property: data.items.data.price.product',
      });
      expect(await refusal(stripe.subscriptions.list({ expand: ['customer'] }))).toMatchObject({
        status: 400,
        message: 'This property cannot be expanded (customer).',
      });
    });

    it('refuses what Stripe refuses: a bad status or limit, an unknown cursor or customer, unknown parameters', async () => {
      expect(await refusal(stripe.subscriptions.list({ status: 'gone' }))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: undefined,
        param: 'status',
        message:
          'Invalid status: must be one of active, all, canceled, ended, incomplete, incomplete_expired, past_due, paused, trialing, or unpaid',
      });
      expect(await refusal(stripe.subscriptions.list({ limit: 0 }))).toMatchObject({
        status: 400,
        param: 'limit',
        message: 'This value must be greater than or equal to 1.',
      });
      expect(await refusal(stripe.subscriptions.list({ limit: 101 }))).toMatchObject({
        status: 400,
        param: 'limit',
        message: 'This value must be less than or equal to 100.',
      });
      expect(await refusal(stripe.subscriptions.list({ starting_after: 'sub_nope' }))).toEqual({
        status: 400,
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'starting_after',
        message: "No such subscription: 'sub_nope'",
      });
      expect(await refusal(stripe.subscriptions.list({ customer: 'cus_nope' }))).toMatchObject({
        status: 400,
        code: 'resource_missing',
        param: 'customer',
      });
      expect(
        await refusal(stripe.subscriptions.list({ status: 'all', colour: 'red' } as Stripe.SubscriptionListParams)),
      ).toMatchObject({ status: 400, code: 'parameter_unknown', param: 'colour' });
    });

    it("retrieves a price's product by id", async () => {
      const price = await stripe.prices.retrieve(monthly);
      expect(await stripe.products.retrieve(price.product as string)).toMatchObject({ object: 'product', name: 'Pro' });
      expect(await refusal(stripe.products.retrieve('prod_nope'))).toMatchObject({
        status: 404,
        code: 'resource_missing',
        message: "No such product: 'prod_nope'",
      });
    });
  });

  describe('what every route shares', () => {
    it.each([
      ['customer', () => stripe.customers.retrieve('cus_nope')],
      ['price', () => stripe.prices.retrieve('price_nope')],
      ['checkout.session', () => stripe.checkout.sessions.retrieve('cs_test_nope')],
      ['subscription', () => stripe.subscriptions.retrieve('sub_nope')],
      ['invoice', () => stripe.invoices.retrieve('in_nope')],
      ['charge', () => stripe.charges.retrieve('ch_nope')],
      ['payment_intent', () => stripe.paymentIntents.retrieve('pi_nope')],
    ])('answers 404 resource_missing for an unknown %s', async (objectName, retrieve) => {
      expect(await refusal(retrieve())).toEqual({
        status: 404,
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'id',
        message: expect.stringMatching(new RegExp(`^No such ${objectName.replace('.', '\\.')}: '[a-z_]+_nope'$`)),
      });
    });

    it('retrieves a price with its product when asked', async () => {
      const price = await stripe.prices.retrieve(monthly, { expand: ['product'] });
      expect(price).toMatchObject({ id: monthly, type: 'recurring', active: true, product: { name: 'Pro' } });
      expect(price.unit_amount_decimal?.toString()).toBe('2000');
    });

    it('fails any route on demand, and checks the key on every route', async () => {
      stub.failNext({ kind: 'server-error' }, { kind: 'rate-limit', retryAfter: 1 });
      expect(await refusal(newCustomer())).toMatchObject({ status: 500, type: 'api_error' });
      expect(await refusal(stripe.prices.retrieve(monthly))).toMatchObject({ status: 429, code: 'rate_limit' });
      expect(await refusal(stripe.prices.retrieve(monthly, {}, { apiKey: 'sk_test_unknownunknown0000' }))).toEqual({
        status: 401,
        type: 'invalid_request_error',
        code: undefined,
        param: undefined,
        message: 'Invalid API Key provided: sk_test_****0000',
      });
      expect(stub.requests.map((sent) => [sent.method, sent.path])).toEqual([
        ['POST', '/v1/customers'],
        ['GET', `/v1/prices/${monthly}`],
        ['GET', `/v1/prices/${monthly}`],
      ]);
    });

    it('keeps each key its own account, livemode from the key', async () => {
      const live = new Stripe(LIVE_KEY, {
        host: new URL(stub.baseUrl).hostname,
        port: Number(new URL(stub.baseUrl).port),
        protocol: 'http',
        apiVersion: STRIPE_API_VERSION,
        telemetry: false,
      });
      const customer = await live.customers.create({ email: 'live@example.com' });
      expect(customer.livemode).toBe(true);
      expect(await refusal(stripe.customers.retrieve(customer.id))).toMatchObject({ status: 404 });
      expect(stub.customers(LIVE_KEY).map((one) => one.id)).toEqual([customer.id]);
    });
  });

  describe('signEvent', () => {
    it('signs the exact payload Stripe sends, which stripe-node verifies with the secret and only with it', async () => {
      const [, paid] = (await subscribed()).events;

      const { payload, header } = stub.signEvent(paid, WEBHOOK_SECRET);

      expect(payload).toBe(JSON.stringify(paid, null, 2));
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET)).toEqual(JSON.parse(payload));
      expect(() => stripe.webhooks.constructEvent(payload, header, 'whsec_someoneElse')).toThrow(
        Stripe.errors.StripeSignatureVerificationError,
      );
      expect(() =>
        stripe.webhooks.constructEvent(payload.replace('invoice.paid', 'invoice.voided'), header, WEBHOOK_SECRET),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    });

    it('signs with the given timestamp, which stripe-node refuses once too old', async () => {
      const [event] = (await subscribed()).events;
      const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;

      const { payload, header } = stub.signEvent(event, WEBHOOK_SECRET, { timestamp: tenMinutesAgo });

      expect(header.startsWith(`t=${tenMinutesAgo},v1=`)).toBe(true);
      expect(() => stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET)).toThrow(
        'Timestamp outside the tolerance zone',
      );
      expect(stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET, 900).id).toBe(event.id);
    });
  });
});
