import type Stripe from 'stripe';
import {
  belongsToAnotherProject,
  invoicePaymentSnapshot,
  invoiceSubscriptionId,
  paymentIntentSnapshot,
  subscriptionSnapshot,
} from './stripe-snapshots.js';

const FETCHED_AT = new Date('2026-12-02T10:00:00.000Z');
const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function subscription(
  overrides: Partial<Stripe.Subscription> = {},
  price: Partial<Stripe.Price> = {},
): Stripe.Subscription {
  return {
    id: 'sub_1',
    customer: 'cus_1',
    status: 'active',
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    trial_end: null,
    ended_at: null,
    created: at('2026-11-01T00:00:00Z'),
    metadata: {},
    items: {
      object: 'list',
      data: [
        {
          id: 'si_1',
          quantity: 3,
          current_period_start: at('2026-11-01T00:00:00Z'),
          current_period_end: at('2026-12-01T00:00:00Z'),
          price: { id: 'price_pro', nickname: null, product: { id: 'prod_1', name: 'Pro' }, ...price },
        },
      ],
    },
    ...overrides,
  } as unknown as Stripe.Subscription;
}

function invoice(overrides: Record<string, unknown> = {}): Stripe.Invoice {
  return {
    id: 'in_1',
    customer: 'cus_1',
    status: 'paid',
    amount_due: 2000,
    amount_paid: 2000,
    attempt_count: 1,
    currency: 'usd',
    description: null,
    created: at('2026-11-01T00:00:00Z'),
    lines: { object: 'list', data: [{ description: '1 × Pro (at $20.00 / month)' }] },
    parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1', metadata: {} } },
    payments: {
      object: 'list',
      data: [{ status: 'paid', created: 10, payment: { type: 'payment_intent', payment_intent: 'pi_paid' } }],
    },
    ...overrides,
  } as unknown as Stripe.Invoice;
}

describe('subscriptionSnapshot', () => {
  it("takes price, quantity and period from the first item, and the plan from the price's product", () => {
    expect(subscriptionSnapshot(subscription(), FETCHED_AT)).toEqual({
      stripeSubscriptionId: 'sub_1',
      stripeCustomerId: 'cus_1',
      status: 'active',
      priceId: 'price_pro',
      planName: 'Pro',
      quantity: 3,
      currentPeriodStart: new Date('2026-11-01T00:00:00Z'),
      currentPeriodEnd: new Date('2026-12-01T00:00:00Z'),
      cancelAt: null,
      cancelAtPeriodEnd: false,
      canceledAt: null,
      trialEnd: null,
      endedAt: null,
      createdAt: new Date('2026-11-01T00:00:00Z'),
      fetchedAt: FETCHED_AT,
    });
  });

  it("prefers the price's nickname, and has no plan name for a deleted or unexpanded product", () => {
    expect(subscriptionSnapshot(subscription({}, { nickname: 'Pro monthly' }), FETCHED_AT).planName).toBe(
      'Pro monthly',
    );
    expect(
      subscriptionSnapshot(
        subscription({}, { product: { id: 'prod_1', deleted: true } as Stripe.DeletedProduct }),
        FETCHED_AT,
      ).planName,
    ).toBeNull();
    expect(subscriptionSnapshot(subscription({}, { product: 'prod_1' }), FETCHED_AT).planName).toBeNull();
  });

  it('keeps cancellation and trial times, and an expanded customer as its id', () => {
    const snapshot = subscriptionSnapshot(
      subscription({
        customer: { id: 'cus_x' } as Stripe.Customer,
        status: 'canceled',
        cancel_at: at('2026-12-01T00:00:00Z'),
        cancel_at_period_end: true,
        canceled_at: at('2026-11-15T00:00:00Z'),
        trial_end: at('2026-11-08T00:00:00Z'),
        ended_at: at('2026-12-01T00:00:00Z'),
      }),
      FETCHED_AT,
    );
    expect(snapshot).toMatchObject({
      stripeCustomerId: 'cus_x',
      status: 'canceled',
      cancelAt: new Date('2026-12-01T00:00:00Z'),
      cancelAtPeriodEnd: true,
      canceledAt: new Date('2026-11-15T00:00:00Z'),
      trialEnd: new Date('2026-11-08T00:00:00Z'),
      endedAt: new Date('2026-12-01T00:00:00Z'),
    });
  });
});

describe('invoicePaymentSnapshot', () => {
  it("is one payment per invoice: its paid attempt's payment intent, the amount paid, succeeded", () => {
    expect(invoicePaymentSnapshot(invoice(), FETCHED_AT)).toEqual({
      stripeSourceId: 'in_1',
      stripeInvoiceId: 'in_1',
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      paymentIntentId: 'pi_paid',
      status: 'succeeded',
      amountCents: 2000,
      currency: 'usd',
      description: '1 × Pro (at $20.00 / month)',
      attempts: 1,
      createdAt: new Date('2026-11-01T00:00:00Z'),
      fetchedAt: FETCHED_AT,
    });
  });

  it('is failed, with the amount due and the latest attempt, when attempts failed and nothing paid', () => {
    const failed = invoice({
      status: 'open',
      amount_paid: 0,
      attempt_count: 2,
      payments: {
        object: 'list',
        data: [
          { status: 'open', created: 20, payment: { type: 'payment_intent', payment_intent: 'pi_second' } },
          { status: 'canceled', created: 10, payment: { type: 'payment_intent', payment_intent: 'pi_first' } },
        ],
      },
    });
    expect(invoicePaymentSnapshot(failed, FETCHED_AT)).toMatchObject({
      status: 'failed',
      amountCents: 2000,
      paymentIntentId: 'pi_second',
      attempts: 2,
    });
  });

  it('is pending while nothing was attempted, and absent for an invoice of zero or one with no payment', () => {
    const pending = invoice({
      status: 'open',
      amount_paid: 0,
      attempt_count: 0,
      payments: {
        object: 'list',
        data: [{ status: 'open', created: 1, payment: { type: 'payment_intent', payment_intent: 'pi_x' } }],
      },
    });
    expect(invoicePaymentSnapshot(pending, FETCHED_AT)?.status).toBe('pending');
    expect(invoicePaymentSnapshot(invoice({ amount_due: 0, amount_paid: 0 }), FETCHED_AT)).toBeUndefined();
    expect(
      invoicePaymentSnapshot(
        invoice({ status: 'open', amount_paid: 0, payments: { object: 'list', data: [] } }),
        FETCHED_AT,
      ),
    ).toBeUndefined();
  });

  it('names the subscription from the invoice parent, and none for an invoice of no subscription', () => {
    expect(invoiceSubscriptionId(invoice())).toBe('sub_1');
    expect(invoiceSubscriptionId(invoice({ parent: null }))).toBeNull();
  });
});

describe('paymentIntentSnapshot', () => {
  const intent = (status: Stripe.PaymentIntent.Status, amountReceived: number) =>
    ({
      id: 'pi_1',
      status,
      amount: 5000,
      amount_received: amountReceived,
      currency: 'eur',
      description: 'Lifetime licence',
      customer: 'cus_1',
      created: at('2026-11-20T00:00:00Z'),
    }) as unknown as Stripe.PaymentIntent;

  it('is a one-time payment keyed by the payment intent', () => {
    expect(paymentIntentSnapshot(intent('succeeded', 5000), FETCHED_AT)).toEqual({
      stripeSourceId: 'pi_1',
      stripeInvoiceId: null,
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: null,
      paymentIntentId: 'pi_1',
      status: 'succeeded',
      amountCents: 5000,
      currency: 'eur',
      description: 'Lifetime licence',
      attempts: 1,
      createdAt: new Date('2026-11-20T00:00:00Z'),
      fetchedAt: FETCHED_AT,
    });
  });

  it.each([
    ['processing', 'pending'],
    ['requires_action', 'pending'],
    ['requires_payment_method', 'failed'],
    ['canceled', 'failed'],
  ] as const)('maps %s to %s', (status, expected) => {
    expect(paymentIntentSnapshot(intent(status, 0), FETCHED_AT).status).toBe(expected);
  });
});

describe('belongsToAnotherProject', () => {
  it('is true only when the metadata names a project other than this one', () => {
    expect(belongsToAnotherProject({ project_id: 'p1' }, 'p1')).toBe(false);
    expect(belongsToAnotherProject({ project_id: 'p2' }, 'p1')).toBe(true);
    expect(belongsToAnotherProject({}, 'p1')).toBe(false);
    expect(belongsToAnotherProject(null, 'p1')).toBe(false);
  });
});
