import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient, type Prisma } from './generated/prisma/client.js';
import type { DatabaseConnection, SqlStatement } from './database-connection.js';
import { DatabaseUnavailableError, unavailabilityReason } from './database-failures.js';

/** The client an interactive transaction hands its callback: repositories take it to write within one transaction. */
export type DatabaseTransaction = Prisma.TransactionClient;

/** Query events on: each SQL statement is counted (tests check the portal's one round trip with it). */
type CountingOptions = Prisma.PrismaClientOptionsWithAdapter & { log: [{ emit: 'event'; level: 'query' }] };

/** The Prisma client over whichever database is configured (PostgreSQL or embedded PGlite). */
@Injectable()
export class PrismaService extends PrismaClient<CountingOptions> implements OnApplicationShutdown {
  private statements = 0;

  constructor(private readonly connection: DatabaseConnection) {
    const limit = connection.queryTimeoutMs;
    super({
      adapter: connection.adapter,
      log: [{ emit: 'event', level: 'query' }],
      // On PostgreSQL, waiting to start a transaction and the transaction as a whole have the statements' bound too.
      ...(limit !== undefined && { transactionOptions: { maxWait: limit, timeout: limit } }),
    });
    this.$on('query', () => {
      this.statements += 1;
    });
  }

  get databaseKind(): DatabaseConnection['kind'] {
    return this.connection.kind;
  }

  /**
   * Runs one statement on the raw driver, bypassing Prisma's per-query overhead: for hot paths only. Counted with
   * Prisma's statements; a failure to reach the database becomes DatabaseUnavailableError, a statement error (a
   * bug, not an outage) surfaces unchanged.
   */
  async queryRows<Row>(statement: SqlStatement): Promise<Row[]> {
    this.statements += 1;
    try {
      return await this.connection.query<Row>(statement);
    } catch (error) {
      const reason = unavailabilityReason(error);
      if (reason === undefined || error instanceof DatabaseUnavailableError) throw error;
      throw new DatabaseUnavailableError(reason, { cause: error });
    }
  }

  /** SQL statements sent since start (one per database round trip): what the portal's one-query rule is checked by. */
  get statementCount(): number {
    return this.statements;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.connection.close();
  }
}
