import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';

/** The checkout sessions the service created, and what became of them. */
@Injectable()
export class CheckoutSessionsRepository {
  /** Within a webhook's transaction: the session was paid or expired, so it is no longer the user's open one. */
  async settle(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    stripeSessionId: string,
    status: 'complete' | 'expired',
  ): Promise<void> {
    await tx.checkoutSession.updateMany({
      where: { projectId, mode, stripeSessionId, status: 'open' },
      data: { status },
    });
  }
}
