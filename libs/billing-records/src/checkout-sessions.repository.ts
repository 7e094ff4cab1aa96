import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
import { PrismaService } from '../../database/src/prisma.service.js';

export type CheckoutMode = 'subscription' | 'payment';

/** A checkout session Stripe just created for a user, as the service remembers it. */
export interface NewCheckoutSession {
  userId: string;
  stripeSessionId: string;
  checkoutMode: CheckoutMode;
  /** The hosted page's address: answered again to a retry with the same Idempotency-Key. Never logged. */
  url: string;
  /** The scoped digest of the client's Idempotency-Key (and of its request), when it sent one. */
  idempotencyKey: string | null;
  /** Stripe's `expires_at`, in seconds. */
  stripeExpiresAt: number;
}

/** What became of a user's sessions while their checkout held the lease. */
export interface CheckoutOutcome {
  created?: NewCheckoutSession;
  /** The previous open session, now expired in Stripe. */
  expiredSessionId?: string;
  /** The previous open session, found paid when it was to be expired. */
  completedSessionId?: string;
}

/** A lease on `key` taken by `holder` (the checkout context query takes it). */
export interface LeaseHold {
  key: string;
  holder: string;
}

// $1 project, $2 mode, $3 expired, $4 completed, $5..$10 the new session, $11 lease key, $12 holder. Every part is
// optional but the release: a checkout ends with this one statement whatever happened.
const FINISH_SQL = `
  WITH expired AS (
    UPDATE checkout_sessions SET status = 'expired', updated_at = now()
     WHERE project_id = $1::uuid AND mode = $2::"StripeMode" AND stripe_session_id = $3::text AND status = 'open'
  ), completed AS (
    UPDATE checkout_sessions SET status = 'complete', updated_at = now()
     WHERE project_id = $1::uuid AND mode = $2::"StripeMode" AND stripe_session_id = $4::text AND status <> 'complete'
  ), created AS (
    INSERT INTO checkout_sessions (id, project_id, mode, user_id, stripe_session_id, checkout_mode, status, url,
                                   idempotency_key, stripe_expires_at, updated_at)
    SELECT gen_random_uuid(), $1::uuid, $2::"StripeMode", $5::uuid, $6::text, $7::text, 'open', $8::text, $9::text,
           to_timestamp($10::double precision), now()
     WHERE $6::text IS NOT NULL
    ON CONFLICT (project_id, mode, stripe_session_id) DO NOTHING
  ), released AS (
    DELETE FROM leases WHERE key = $11 AND holder = $12::uuid
  )
  SELECT 1 AS finished`;

/** The checkout's closing statement, named (the bench's baseline sends it too). */
export const CHECKOUT_FINISH_SQL = { name: 'checkout_finish', text: FINISH_SQL } as const;

/**
 * The checkout sessions the service created, so that a user never has two payable subscription checkouts and a
 * retry with the same Idempotency-Key gets the same session. Checkout writes them; webhooks settle them.
 */
@Injectable()
export class CheckoutSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records what the checkout did and releases its lease, in one statement (one round trip). */
  async finish(projectId: string, mode: StripeMode, lease: LeaseHold, outcome: CheckoutOutcome): Promise<void> {
    const created = outcome.created;
    await this.prisma.queryRows({
      ...CHECKOUT_FINISH_SQL,
      values: [
        projectId,
        mode,
        outcome.expiredSessionId ?? null,
        outcome.completedSessionId ?? null,
        created?.userId ?? null,
        created?.stripeSessionId ?? null,
        created?.checkoutMode ?? null,
        created?.url ?? null,
        created?.idempotencyKey ?? null,
        created?.stripeExpiresAt ?? null,
        lease.key,
        lease.holder,
      ],
    });
  }

  /**
   * Within a webhook's transaction, what Stripe says became of a session (`checkout.session.completed` or
   * `.expired`): it is no longer the user's open one. A completion stands whatever was recorded before; an expiry
   * never replaces a completion. Sessions this service did not create change nothing.
   */
  async settle(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    stripeSessionId: string,
    status: 'complete' | 'expired',
  ): Promise<void> {
    await tx.checkoutSession.updateMany({
      where: { projectId, mode, stripeSessionId, status: status === 'complete' ? { not: 'complete' } : 'open' },
      data: { status },
    });
  }
}
