import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import { PrismaService } from '../../database/src/prisma.service.js';
import { CustomerAlreadyLinked, ProjectNotFound } from './domain-errors.js';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors.js';

/** The end user -> Stripe customer mapping, one per (project, user, mode). */
@Injectable()
export class StripeCustomersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Links (or relinks) the user; a customer already linked to another user of the project is a conflict. */
  async link(projectId: string, userId: string, mode: StripeMode, stripeCustomerId: string): Promise<void> {
    try {
      await this.prisma.stripeCustomer.upsert({
        where: { projectId_userId_mode: { projectId, userId, mode } },
        create: { projectId, userId, mode, stripeCustomerId },
        update: { stripeCustomerId },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new CustomerAlreadyLinked(stripeCustomerId, mode);
      // Only an operator can name a project that does not exist: the API checked ownership first.
      if (isForeignKeyViolation(error)) throw new ProjectNotFound(projectId);
      throw error;
    }
  }

  /** Removes the mapping; false when there was none. */
  async unlink(projectId: string, userId: string, mode: StripeMode): Promise<boolean> {
    const { count } = await this.prisma.stripeCustomer.deleteMany({ where: { projectId, userId, mode } });
    return count > 0;
  }
}
