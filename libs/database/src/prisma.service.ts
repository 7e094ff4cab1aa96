import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient, type Prisma } from './generated/prisma/client.js';
import type { DatabaseConnection, SqlStatement } from './database-connection.js';

/** The database could not be reached or refused service (connection, resources, shutdown); answered as 503. */
export class DatabaseUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`Database unavailable: ${reason}`);
    this.name = 'DatabaseUnavailableError';
  }
}

// SQLSTATE classes of an unavailable server: 08 connection exception, 53 insufficient resources, 57 operator
// intervention (e.g. admin shutdown), 58 system error. Any other SQLSTATE is a statement error: a bug, left to surface.
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58']);

/** Query events on: each SQL statement is counted (tests check the portal's one round trip with it). */
type CountingOptions = Prisma.PrismaClientOptionsWithAdapter & { log: [{ emit: 'event'; level: 'query' }] };

/** The Prisma client over whichever database is configured (PostgreSQL or embedded PGlite). */
@Injectable()
export class PrismaService extends PrismaClient<CountingOptions> implements OnApplicationShutdown {
  private statements = 0;

  constructor(private readonly connection: DatabaseConnection) {
    super({ adapter: connection.adapter, log: [{ emit: 'event', level: 'query' }] });
    this.$on('query', () => {
      this.statements += 1;
    });
  }

  get databaseKind(): DatabaseConnection['kind'] {
    return this.connection.kind;
  }

  /**
   * Runs one statement on the raw driver, bypassing Prisma's per-query overhead: for hot paths only. Counted with
   * Prisma's statements; a failure to reach the database becomes DatabaseUnavailableError.
   */
  async queryRows<Row>(statement: SqlStatement): Promise<Row[]> {
    this.statements += 1;
    try {
      return await this.connection.query<Row>(statement);
    } catch (error) {
      const sqlState = (error as { code?: unknown }).code;
      const isStatementError = typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState);
      if (isStatementError && !UNAVAILABLE_SQLSTATE_CLASSES.has(sqlState.slice(0, 2))) throw error;
      throw new DatabaseUnavailableError(isStatementError ? `SQLSTATE ${sqlState}` : (error as Error).message);
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
