import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient, type Prisma } from './generated/prisma/client.js';
import type { DatabaseConnection } from './database-connection.js';

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

  /** SQL statements sent since start (one per database round trip): what the portal's one-query rule is checked by. */
  get statementCount(): number {
    return this.statements;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.connection.close();
  }
}
