import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
import type { Payment } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import type { PaymentStatus } from './statuses.js';

/** A payment as Stripe said it was when it was fetched: an invoice's, or a one-time payment intent's. */
export interface PaymentSnapshot {
  /** The invoice id, or the payment intent id of a one-time payment: one row per source. */
  stripeSourceId: string;
  stripeInvoiceId: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  paymentIntentId: string;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
  description: string | null;
  attempts: number;
  /** Stripe's `created` of the invoice or payment intent. */
  createdAt: Date;
  fetchedAt: Date;
}

/** One page of payments, newest first, and how many there are in all. */
export interface PaymentPage {
  payments: Payment[];
  total: number;
}

/** What a refund did to the stored payments. */
export type RefundResult = 'applied' | 'unchanged' | 'unknown-payment';

/**
 * Payments, one row per invoice or one-time payment intent, whose status moves as attempts fail and succeed. Writes
 * happen inside the caller's transaction, and a snapshot never replaces one fetched later than itself.
 */
@Injectable()
export class PaymentsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One user's payments in a project and mode, newest first; the id breaks ties, so pages never overlap. */
  async pageForUser(
    projectId: string,
    mode: StripeMode,
    userId: string,
    page: { page: number; pageSize: number },
  ): Promise<PaymentPage> {
    const where = { projectId, mode, userId };
    const [payments, total] = await this.prisma.$transaction([
      this.prisma.payment.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: (page.page - 1) * page.pageSize,
        take: page.pageSize,
      }),
      this.prisma.payment.count({ where }),
    ]);
    return { payments, total };
  }

  /** Inserts or updates the payment; a refund recorded before (by charge) is kept. */
  async save(tx: DatabaseTransaction, projectId: string, mode: StripeMode, snapshot: PaymentSnapshot): Promise<void> {
    const p = snapshot;
    await tx.$executeRaw`
      INSERT INTO payments (id, project_id, mode, user_id, subscription_id, stripe_source_id, stripe_invoice_id,
                            stripe_customer_id, payment_intent_id, status, amount_cents, currency, description,
                            attempts, created_at, fetched_at, updated_at)
      VALUES (gen_random_uuid(), ${projectId}::uuid, ${mode}::"StripeMode",
              (SELECT user_id FROM stripe_customers
                WHERE project_id = ${projectId}::uuid AND mode = ${mode}::"StripeMode"
                  AND stripe_customer_id = ${p.stripeCustomerId}),
              (SELECT id FROM subscriptions
                WHERE project_id = ${projectId}::uuid AND mode = ${mode}::"StripeMode"
                  AND stripe_subscription_id = ${p.stripeSubscriptionId}),
              ${p.stripeSourceId}, ${p.stripeInvoiceId}, ${p.stripeCustomerId}, ${p.paymentIntentId}, ${p.status},
              ${p.amountCents}::int, ${p.currency}, ${p.description}, ${p.attempts}::int, ${p.createdAt}::timestamptz,
              ${p.fetchedAt}::timestamptz, now())
      ON CONFLICT (project_id, mode, stripe_source_id) DO UPDATE
         SET user_id = COALESCE(EXCLUDED.user_id, payments.user_id),
             subscription_id = COALESCE(EXCLUDED.subscription_id, payments.subscription_id),
             stripe_customer_id = COALESCE(EXCLUDED.stripe_customer_id, payments.stripe_customer_id),
             payment_intent_id = EXCLUDED.payment_intent_id,
             status = CASE
               WHEN payments.refunded_amount_cents > 0 AND payments.refunded_amount_cents >= EXCLUDED.amount_cents
                 THEN 'refunded'
               ELSE EXCLUDED.status END,
             amount_cents = EXCLUDED.amount_cents,
             currency = EXCLUDED.currency,
             description = EXCLUDED.description,
             attempts = EXCLUDED.attempts,
             fetched_at = EXCLUDED.fetched_at,
             updated_at = now()
       WHERE payments.fetched_at <= EXCLUDED.fetched_at`;
  }

  /**
   * Records a charge's refunds on the payment its payment intent paid: `refundedCents` is Stripe's cumulative
   * `amount_refunded`, which only grows, so an older snapshot never lowers it.
   */
  async applyRefund(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    paymentIntentId: string,
    refundedCents: number,
    fullyRefunded: boolean,
  ): Promise<RefundResult> {
    const updated = await tx.$executeRaw`
      UPDATE payments
         SET refunded_amount_cents = ${refundedCents}::int,
             status = CASE WHEN ${fullyRefunded} THEN 'refunded' ELSE status END,
             updated_at = now()
       WHERE project_id = ${projectId}::uuid AND mode = ${mode}::"StripeMode" AND payment_intent_id = ${paymentIntentId}
         AND (refunded_amount_cents < ${refundedCents}::int OR (${fullyRefunded} AND status <> 'refunded'))`;
    if (updated > 0) return 'applied';
    const known = await tx.payment.count({ where: { projectId, mode, paymentIntentId } });
    return known > 0 ? 'unchanged' : 'unknown-payment';
  }

  /** Gives a customer's payments that belong to no user yet to the user a checkout just linked it to. */
  async assignUser(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    stripeCustomerId: string,
    userId: string,
  ): Promise<void> {
    await tx.payment.updateMany({ where: { projectId, mode, stripeCustomerId, userId: null }, data: { userId } });
  }
}
