import pg from 'pg';
import { DatabaseUnavailableError, unavailabilityReason } from './database-failures.js';

export interface PostgresPoolOptions {
  url: string;
  poolSize: number;
  /** DATABASE_QUERY_TIMEOUT_MS: the longest wait for a connection, and for each statement. */
  queryTimeoutMs: number;
}

/**
 * How much longer than statement_timeout the client waits for an answer before it gives the connection up: PostgreSQL's
 * own cancellation (57014) keeps the connection usable, so it should normally arrive first.
 */
export const ANSWER_GRACE_MS = 500;

/** Idle time before TCP keepalive probes start, so a silently dead peer is eventually noticed even when idle. */
const KEEPALIVE_IDLE_MS = 10_000;

/**
 * The one node-postgres pool of the service (Prisma's adapter and the raw hot path share it), bounded in time
 * everywhere: connecting (connectionTimeoutMillis, also the wait for a free connection), each statement on the server
 * (statement_timeout), a transaction left open by a vanished client (idle_in_transaction_session_timeout), and each
 * answer on the client, whose deadline destroys a connection that stopped answering so that the pool never hands it
 * out again. A lost connection never leaves the pool as an anonymous Error (see typed).
 */
export function createPostgresPool({ url, poolSize, queryTimeoutMs }: PostgresPoolOptions): pg.Pool {
  return new UnavailabilityTypingPool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: queryTimeoutMs,
    statement_timeout: queryTimeoutMs,
    idle_in_transaction_session_timeout: queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    Client: deadlineClient(queryTimeoutMs + ANSWER_GRACE_MS),
  });
}

/**
 * node-postgres's code-less failures (a lost connection, no connection in time) as DatabaseUnavailableError: nothing
 * downstream could tell them from a bug. Errors with a code (a SQLSTATE, a socket error) are left as they are: the
 * Prisma adapter maps them to its own kinds, which Prisma and the health check report, and the filter classifies.
 */
function typed(error: Error): Error {
  if (error instanceof DatabaseUnavailableError || typeof (error as { code?: unknown }).code === 'string') return error;
  const reason = unavailabilityReason(error);
  return reason === undefined ? error : new DatabaseUnavailableError(reason, { cause: error });
}

type QueryCallback = (error: Error | null | undefined, result?: unknown) => void;
type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/** Failures to get a connection (a new one, or a free one in time) typed as above. */
class UnavailabilityTypingPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    // pool.query() takes its connection through here with a callback; Prisma's transactions with a promise.
    if (callback) return super.connect((error, client, done) => callback(error && typed(error), client, done));
    return super.connect().catch((error: Error) => {
      throw typed(error);
    });
  }
}

function deadlineClient(answerDeadlineMs: number): new (config?: pg.ClientConfig) => pg.Client {
  return class DeadlineClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      // A lost connection is also reported to every query it carried, which is where it is handled; this keeps the
      // event from crashing the process in the instants no pool or adapter listener is attached.
      this.on('error', () => undefined);
    }

    // Every form node-postgres accepts: (config), (config, values), (config, callback), (config, values, callback).
    // Typed `any` as the overloads it stands for are: a promise, undefined or the submittable, by form.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: unknown[]): any {
      const [config] = args;
      let [, values, callback] = args;
      if (typeof values === 'function') [values, callback] = [undefined, values];
      const send = super.query.bind(this) as (config: unknown, values: unknown, callback?: QueryCallback) => unknown;
      // Streaming submittables (pg-cursor) manage their own reads; this service uses none.
      if (typeof (config as { submit?: unknown } | null)?.submit === 'function') {
        return send(config, values, callback as QueryCallback | undefined);
      }
      // Destroying the socket fails this query and any queued behind it, and makes the client unusable: released
      // to the pool, it is discarded instead of being handed out again.
      const deadline = setTimeout(
        () => this.connection.stream.destroy(new DatabaseUnavailableError(`no answer within ${answerDeadlineMs} ms`)),
        answerDeadlineMs,
      );
      const settled = (error?: Error | null) => {
        clearTimeout(deadline);
        return error ? typed(error) : error;
      };
      if (typeof callback === 'function') {
        send(config, values, (error, result) => (callback as QueryCallback)(settled(error), result));
        return undefined;
      }
      return (send(config, values) as Promise<unknown>).then(
        (result) => {
          settled();
          return result;
        },
        (error: Error) => {
          throw settled(error);
        },
      );
    }
  };
}
