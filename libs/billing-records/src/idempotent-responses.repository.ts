import { Injectable } from '@nestjs/common';
import { PrismaService } from '#libs/database';

/** How long a change is kept for retries: as long as Stripe keeps an idempotency key. */
export const IDEMPOTENT_RESPONSE_HOURS = 24;

/** What an earlier attempt under the same key digest did: its Stripe call, and its answer once it succeeded. */
export interface RememberedChange {
  requestDigest: string;
  stripeCall: unknown;
  /** Null while the outcome is unknown (the call failed, timed out, or its answer was lost). */
  response: unknown;
}

const LIVE = `created_at > now() - interval '${IDEMPOTENT_RESPONSE_HOURS} hours'`;

const FIND_SQL = `
  SELECT request_digest, stripe_call, response FROM idempotent_responses WHERE key_digest = $1 AND ${LIVE}`;

// $1 key digest, $2 project, $3 request digest, $4 the Stripe call. Expired rows of the project go in the same
// statement, so the table holds about a day of each project's keyed changes. An expired row of the same key is
// replaced; a live one (a concurrent attempt's) is left as it is.
const BEGIN_SQL = `
  WITH expired AS (
    DELETE FROM idempotent_responses WHERE project_id = $2::uuid AND NOT (${LIVE})
  )
  INSERT INTO idempotent_responses (key_digest, project_id, request_digest, stripe_call)
  VALUES ($1, $2::uuid, $3, $4)
  ON CONFLICT (key_digest) DO UPDATE
     SET request_digest = EXCLUDED.request_digest, stripe_call = EXCLUDED.stripe_call, response = NULL,
         created_at = now()
   WHERE NOT (idempotent_responses.${LIVE})
  RETURNING 1 AS begun`;

// $1 key digest, $2 the answer: the first success's answer stands.
const SUCCEED_SQL = `
  UPDATE idempotent_responses SET response = $2::jsonb
   WHERE key_digest = $1 AND response IS NULL
  RETURNING 1 AS succeeded`;

/**
 * End users' changes made with an Idempotency-Key: the Stripe call is recorded before it is sent and the answer when
 * it succeeded, so that a retry gets the same answer although the subscription has changed since (a second cancel-now
 * would otherwise find nothing to cancel), and a retry after a lost outcome repeats the very call, which Stripe
 * replays under the same idempotency key instead of applying twice.
 */
@Injectable()
export class IdempotentResponsesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(keyDigest: string): Promise<RememberedChange | null> {
    const [row] = await this.prisma.queryRows<{ request_digest: string; stripe_call: string; response: unknown }>({
      name: 'idempotent_change_find',
      text: FIND_SQL,
      values: [keyDigest],
    });
    if (!row) return null;
    return { requestDigest: row.request_digest, stripeCall: JSON.parse(row.stripe_call), response: row.response };
  }

  async begin(keyDigest: string, projectId: string, requestDigest: string, stripeCall: unknown): Promise<void> {
    await this.prisma.queryRows({
      name: 'idempotent_change_begin',
      text: BEGIN_SQL,
      values: [keyDigest, projectId, requestDigest, JSON.stringify(stripeCall)],
    });
  }

  async succeed(keyDigest: string, response: unknown): Promise<void> {
    await this.prisma.queryRows({
      name: 'idempotent_change_succeed',
      text: SUCCEED_SQL,
      values: [keyDigest, JSON.stringify(response)],
    });
  }
}
