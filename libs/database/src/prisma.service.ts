import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient } from './generated/prisma/client.js';
import type { DatabaseConnection } from './database-connection.js';

/** The Prisma client over whichever database is configured (PostgreSQL or embedded PGlite). */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(private readonly connection: DatabaseConnection) {
    super({ adapter: connection.adapter });
  }

  get databaseKind(): DatabaseConnection['kind'] {
    return this.connection.kind;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.connection.close();
  }
}
