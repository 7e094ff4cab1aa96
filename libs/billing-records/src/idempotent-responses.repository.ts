import { Injectable } from '@nestjs/common';
import { PrismaService } from '#libs/database';

/** How long an answer is kept for retries: as long as Stripe keeps an idempotency key. */
export const IDEMPOTENT_RESPONSE_HOURS = 24;

/** An earlier answer given under the same key digest. */
export interface RememberedResponse {
  requestDigest: string;
  response: unknown;
}

const FIND_SQL = `
  SELECT request_digest, response FROM idempotent_responses
   WHERE key_digest = $1 AND created_at > now() - interval '${IDEMPOTENT_RESPONSE_HOURS} hours'`;

// $1 key digest, $2 project, $3 request digest, $4 the answer. Expired answers of the project go in the same
// statement, so the table holds about a day of each project's keyed changes. A concurrent retry's answer stands.
const REMEMBER_SQL = `
  WITH expired AS (
    DELETE FROM idempotent_responses
     WHERE project_id = $2::uuid AND created_at <= now() - interval '${IDEMPOTENT_RESPONSE_HOURS} hours'
  )
  INSERT INTO idempotent_responses (key_digest, project_id, request_digest, response)
  VALUES ($1, $2::uuid, $3, $4::jsonb)
  ON CONFLICT (key_digest) DO UPDATE
     SET request_digest = EXCLUDED.request_digest, response = EXCLUDED.response, created_at = now()
   WHERE idempotent_responses.created_at <= now() - interval '${IDEMPOTENT_RESPONSE_HOURS} hours'
  RETURNING 1 AS remembered`;

/**
 * The answers to end users' changes made with an Idempotency-Key: a retry of a change that succeeded gets the same
 * answer, although the subscription has changed since (a second cancel-now would otherwise find nothing to cancel).
 */
@Injectable()
export class IdempotentResponsesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(keyDigest: string): Promise<RememberedResponse | null> {
    const [row] = await this.prisma.queryRows<{ request_digest: string; response: unknown }>({
      name: 'idempotent_response_find',
      text: FIND_SQL,
      values: [keyDigest],
    });
    return row ? { requestDigest: row.request_digest, response: row.response } : null;
  }

  async remember(keyDigest: string, projectId: string, requestDigest: string, response: unknown): Promise<void> {
    await this.prisma.queryRows({
      name: 'idempotent_response_remember',
      text: REMEMBER_SQL,
      values: [keyDigest, projectId, requestDigest, JSON.stringify(response)],
    });
  }
}
