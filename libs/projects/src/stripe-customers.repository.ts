import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
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

  /**
   * Within a webhook's transaction: links the customer a checkout completed with to its user (replacing the user's
   * previous customer). Returns false, changing nothing, when the customer is another user's of the project.
   */
  async linkFromCheckout(
    tx: DatabaseTransaction,
    projectId: string,
    userId: string,
    mode: StripeMode,
    stripeCustomerId: string,
  ): Promise<boolean> {
    // Checked first: a unique violation would abort the whole transaction on PostgreSQL.
    const holder = await tx.stripeCustomer.findUnique({
      where: { projectId_mode_stripeCustomerId: { projectId, mode, stripeCustomerId } },
      select: { userId: true },
    });
    if (holder) return holder.userId === userId;
    await tx.stripeCustomer.upsert({
      where: { projectId_userId_mode: { projectId, userId, mode } },
      create: { projectId, userId, mode, stripeCustomerId },
      update: { stripeCustomerId },
    });
    return true;
  }

  /** Within a webhook's transaction: forgets a customer Stripe deleted; false when no user of the project had it. */
  async unlinkCustomer(
    tx: DatabaseTransaction,
    projectId: string,
    mode: StripeMode,
    stripeCustomerId: string,
  ): Promise<boolean> {
    const { count } = await tx.stripeCustomer.deleteMany({ where: { projectId, mode, stripeCustomerId } });
    return count > 0;
  }
}
