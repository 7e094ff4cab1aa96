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

/** How a project's endpoint for one mode has been receiving events: the last one, and the last 24 hours. */
export interface WebhookHealth {
  lastEventAt: Date | null;
  lastEventType: string | null;
  /** Events first received in the last 24 hours, and those of them whose processing failed and has not succeeded since. */
  eventsLast24h: number;
  failedEventsLast24h: number;
  /** Deliveries refused for their signature, counted by the hour: the current hour and the 23 before it. */
  signatureFailuresLast24h: number;
  lastSignatureFailureAt: Date | null;
}

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

// Three index reads, one round trip: each part is bounded by the project and mode, and the counts by the window.
const HEALTH_SQL = `
  WITH last_event AS (
    SELECT type, received_at FROM webhook_events
     WHERE project_id = $1::uuid AND mode = $2::"StripeMode"
     ORDER BY received_at DESC LIMIT 1
  ), recent AS (
    SELECT count(*)::int AS events, (count(*) FILTER (WHERE status = 'failed'))::int AS failed
      FROM webhook_events
     WHERE project_id = $1::uuid AND mode = $2::"StripeMode" AND received_at > now() - interval '24 hours'
  ), signatures AS (
    SELECT COALESCE(sum(failures), 0)::int AS failures
      FROM webhook_signature_failures
     WHERE project_id = $1::uuid AND mode = $2::"StripeMode" AND hour > now() - interval '24 hours'
  ), last_signature AS (
    SELECT last_failure_at FROM webhook_signature_failures
     WHERE project_id = $1::uuid AND mode = $2::"StripeMode"
     ORDER BY hour DESC LIMIT 1
  )
  SELECT last_event.type AS last_event_type, last_event.received_at AS last_event_at, recent.events, recent.failed,
         signatures.failures AS signature_failures, last_signature.last_failure_at AS last_signature_failure_at
    FROM recent CROSS JOIN signatures
    LEFT JOIN last_event ON true
    LEFT JOIN last_signature ON true`;

interface HealthRow {
  last_event_type: string | null;
  last_event_at: Date | null;
  events: number;
  failed: number;
  signature_failures: number;
  last_signature_failure_at: Date | null;
}

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

  /** How the endpoint has been receiving: read in one statement (one round trip). */
  async health(projectId: string, mode: StripeMode): Promise<WebhookHealth> {
    const [row] = await this.prisma.queryRows<HealthRow>({
      name: 'webhook_health',
      text: HEALTH_SQL,
      values: [projectId, mode],
    });
    return {
      lastEventAt: row.last_event_at,
      lastEventType: row.last_event_type,
      eventsLast24h: row.events,
      failedEventsLast24h: row.failed,
      signatureFailuresLast24h: row.signature_failures,
      lastSignatureFailureAt: row.last_signature_failure_at,
    };
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
