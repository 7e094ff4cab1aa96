import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
import { PrismaService } from '../../database/src/prisma.service.js';

/** One Stripe event as a project's endpoint for one mode received it. */
export interface EventKey {
  projectId: string;
  mode: StripeMode;
  eventId: string;
}

/** What the payload says of itself that is kept: never its body. */
export interface EventHeader {
  type: string;
  /** Stripe's `created`, in seconds. */
  created: number;
  apiVersion: string | null;
}

/** What a delivery may do with its event. */
export type EventClaim =
  /** This delivery processes it (the first time, or again after a failure or an abandoned attempt). */
  | { kind: 'claimed'; attempt: number }
  /** Already processed or ignored: nothing to do. */
  | { kind: 'settled' }
  /** Another delivery is processing it right now. */
  | { kind: 'busy' };

export type EventOutcome = 'processed' | 'ignored';

// A failed or abandoned (lease run out) event is taken over by the next delivery; a settled one is left alone.
const CLAIM_SQL = `
  INSERT INTO webhook_events (id, project_id, mode, stripe_event_id, type, event_created_at, api_version, status,
                              attempts, lease_until)
  VALUES (gen_random_uuid(), $1::uuid, $2::"StripeMode", $3, $4, to_timestamp($5::double precision), $6, 'processing',
          1, now() + $7::int * interval '1 millisecond')
  ON CONFLICT (project_id, mode, stripe_event_id) DO UPDATE
     SET status = 'processing', attempts = webhook_events.attempts + 1, lease_until = EXCLUDED.lease_until
   WHERE webhook_events.status = 'failed'
      OR (webhook_events.status = 'processing' AND webhook_events.lease_until < now())
  RETURNING attempts`;

const STATUS_SQL = `
  SELECT status FROM webhook_events WHERE project_id = $1::uuid AND mode = $2::"StripeMode" AND stripe_event_id = $3`;

const SIGNATURE_FAILURE_SQL = `
  INSERT INTO webhook_signature_failures (project_id, mode, hour, failures, last_failure_at)
  VALUES ($1::uuid, $2::"StripeMode", date_trunc('hour', now()), 1, now())
  ON CONFLICT (project_id, mode, hour) DO UPDATE
     SET failures = webhook_signature_failures.failures + 1, last_failure_at = EXCLUDED.last_failure_at`;

/**
 * The webhook event log: every verified event once per (project, mode, event id), with what became of it. Its row is
 * also the event's lease: while one delivery processes it, another of the same event waits or is refused.
 */
@Injectable()
export class WebhookEventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async claim(key: EventKey, header: EventHeader, leaseMs: number): Promise<EventClaim> {
    const claimed = await this.prisma.queryRows<{ attempts: number }>({
      name: 'webhook_event_claim',
      text: CLAIM_SQL,
      values: [key.projectId, key.mode, key.eventId, header.type, header.created, header.apiVersion, leaseMs],
    });
    if (claimed.length === 1) return { kind: 'claimed', attempt: claimed[0].attempts };
    const [row] = await this.prisma.queryRows<{ status: string }>({
      name: 'webhook_event_status',
      text: STATUS_SQL,
      values: [key.projectId, key.mode, key.eventId],
    });
    // Gone between the two statements only if the project was deleted meanwhile: nothing left to do.
    if (!row || row.status === 'processed' || row.status === 'ignored') return { kind: 'settled' };
    return { kind: 'busy' };
  }

  /** Settles the event in the transaction that writes what it changed: both are committed, or neither. */
  async settle(tx: DatabaseTransaction, key: EventKey, outcome: EventOutcome): Promise<void> {
    await tx.webhookEvent.update({
      where: { projectId_mode_stripeEventId: { projectId: key.projectId, mode: key.mode, stripeEventId: key.eventId } },
      data: { status: outcome, processedAt: new Date(), leaseUntil: null, lastError: null },
    });
  }

  /** Marks the event failed (a write of its own: the state written for it was rolled back); the next delivery retries. */
  async fail(key: EventKey, error: string): Promise<void> {
    await this.prisma.webhookEvent.updateMany({
      where: { projectId: key.projectId, mode: key.mode, stripeEventId: key.eventId, status: 'processing' },
      data: { status: 'failed', leaseUntil: null, lastError: error.slice(0, 500) },
    });
  }

  /** Counts a delivery whose signature did not verify: per (project, mode, hour), with the last one's time. */
  async recordSignatureFailure(projectId: string, mode: StripeMode): Promise<void> {
    await this.prisma.queryRows({
      name: 'webhook_signature_failure',
      text: SIGNATURE_FAILURE_SQL,
      values: [projectId, mode],
    });
  }
}
