import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/src/prisma.service.js';
import { retryUntil } from './retry-until.js';

/** The lease is another's and did not come free within the wait. */
export class LeaseBusyError extends Error {
  constructor(readonly key: string) {
    super(`Lease ${key} is held by another request`);
    this.name = 'LeaseBusyError';
  }
}

export interface LeaseOptions {
  /** How long the lease holds if its holder dies without releasing it. */
  ttlMs: number;
  /** How long to wait for a lease another request holds before giving up with LeaseBusyError. */
  waitMs: number;
}

const ACQUIRE_SQL = `
  INSERT INTO leases (key, holder, expires_at) VALUES ($1, $2::uuid, now() + $3::int * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
   WHERE leases.expires_at < now()
  RETURNING holder`;

const RELEASE_SQL = 'DELETE FROM leases WHERE key = $1 AND holder = $2::uuid';

/**
 * Exclusive, expiring leases in the database: they serialise work on one thing (a user's checkout, a subscription's
 * webhook processing) across every process of the service, on both engines, without a transaction held across a
 * Stripe call. The database's clock decides expiry, so processes never compare their own clocks.
 */
@Injectable()
export class LeasesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Runs `work` holding the lease on `key`; waits (polling) while another holds it, up to `waitMs`. */
  async withLease<T>(key: string, options: LeaseOptions, work: () => Promise<T>): Promise<T> {
    const holder = await this.acquire(key, options);
    try {
      return await work();
    } finally {
      await this.release(key, holder);
    }
  }

  /** Takes the lease, waiting for it to come free; returns the holder token that releases it. */
  async acquire(key: string, options: LeaseOptions): Promise<string> {
    const holder = randomUUID();
    const taken = await retryUntil(
      async () => ((await this.tryAcquire(key, holder, options.ttlMs)) ? holder : undefined),
      { waitMs: options.waitMs, maxPauseMs: 200 },
    );
    if (taken === undefined) throw new LeaseBusyError(key);
    return taken;
  }

  async tryAcquire(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const rows = await this.prisma.queryRows<{ holder: string }>({
      name: 'lease_acquire',
      text: ACQUIRE_SQL,
      values: [key, holder, Math.round(ttlMs)],
    });
    return rows.length === 1;
  }

  /** Releases the lease if `holder` still has it (an expired one may already be someone else's). */
  async release(key: string, holder: string): Promise<void> {
    await this.prisma.queryRows({ name: 'lease_release', text: RELEASE_SQL, values: [key, holder] });
  }
}
