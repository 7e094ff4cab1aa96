import { Injectable } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import type { DatabaseTransaction } from '#libs/database';
import { PrismaService } from '../../database/src/prisma.service.js';
import { CustomerAlreadyLinked, ProjectNotFound } from './domain-errors.js';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors.js';

// The user's customer after the write: the one written, else (a concurrent writer came first) the one stored.
const LINK_CREATED_SQL = `
  WITH linked AS (
    INSERT INTO stripe_customers (id, project_id, user_id, mode, stripe_customer_id, updated_at)
    VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::"StripeMode", $4, now())
    ON CONFLICT DO NOTHING
    RETURNING stripe_customer_id
  )
  SELECT stripe_customer_id FROM linked
  UNION ALL
  SELECT stripe_customer_id FROM stripe_customers WHERE project_id = $1::uuid AND user_id = $2::uuid AND mode = $3::"StripeMode"
  LIMIT 1`;

const REPLACE_DELETED_SQL = `
  WITH swapped AS (
    UPDATE stripe_customers SET stripe_customer_id = $5, updated_at = now()
     WHERE project_id = $1::uuid AND user_id = $2::uuid AND mode = $3::"StripeMode" AND stripe_customer_id = $4
    RETURNING stripe_customer_id
  )
  SELECT stripe_customer_id FROM swapped
  UNION ALL
  SELECT stripe_customer_id FROM stripe_customers WHERE project_id = $1::uuid AND user_id = $2::uuid AND mode = $3::"StripeMode"
  LIMIT 1`;

/** PostgreSQL's unique_violation, as the raw drivers report it. */
const UNIQUE_VIOLATION = '23505';

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

  /**
   * Links the customer a checkout just created for the user, unless the user has one already (a concurrent checkout
   * linked its own first): returns the user's customer, whichever it is, so that every racer uses the same one.
   */
  async linkCreated(projectId: string, userId: string, mode: StripeMode, stripeCustomerId: string): Promise<string> {
    const rows = await this.prisma.queryRows<{ stripe_customer_id: string }>({
      name: 'customer_link_created',
      text: LINK_CREATED_SQL,
      values: [projectId, userId, mode, stripeCustomerId],
    });
    return rows[0]?.stripe_customer_id ?? (await this.linkedAfterRace(projectId, userId, mode, stripeCustomerId));
  }

  /**
   * Replaces a customer Stripe deleted with a new one, only while the link still holds the deleted one (a concurrent
   * request may have replaced it already): returns the user's customer afterwards.
   */
  async replaceDeleted(
    projectId: string,
    userId: string,
    mode: StripeMode,
    deletedCustomerId: string,
    replacementCustomerId: string,
  ): Promise<string> {
    let rows: { stripe_customer_id: string }[];
    try {
      rows = await this.prisma.queryRows<{ stripe_customer_id: string }>({
        name: 'customer_replace_deleted',
        text: REPLACE_DELETED_SQL,
        values: [projectId, userId, mode, deletedCustomerId, replacementCustomerId],
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
        throw new CustomerAlreadyLinked(replacementCustomerId, mode);
      }
      throw error;
    }
    // The link was removed meanwhile (unlinked by the developer, or by Stripe's customer.deleted): link anew.
    return rows[0]?.stripe_customer_id ?? this.linkCreated(projectId, userId, mode, replacementCustomerId);
  }

  /**
   * After an insert that wrote nothing and a read that found nothing: the winner committed after the statement's
   * snapshot (read it now), or the customer is another user's of the project.
   */
  private async linkedAfterRace(
    projectId: string,
    userId: string,
    mode: StripeMode,
    stripeCustomerId: string,
  ): Promise<string> {
    const link = await this.prisma.stripeCustomer.findUnique({
      where: { projectId_userId_mode: { projectId, userId, mode } },
      select: { stripeCustomerId: true },
    });
    if (!link) throw new CustomerAlreadyLinked(stripeCustomerId, mode);
    return link.stripeCustomerId;
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

  /** Which of these customers are linked to a user of the project in the mode. */
  async linkedCustomers(projectId: string, mode: StripeMode, stripeCustomerIds: string[]): Promise<Set<string>> {
    const links = await this.prisma.stripeCustomer.findMany({
      where: { projectId, mode, stripeCustomerId: { in: stripeCustomerIds } },
      select: { stripeCustomerId: true },
    });
    return new Set(links.map((link) => link.stripeCustomerId));
  }

  /**
   * Within a transaction: links the customer to the user only when neither is linked yet in the mode (a link that
   * went missing). An existing link, of the customer or of the user, is never replaced; false then.
   */
  async restoreLink(
    tx: DatabaseTransaction,
    projectId: string,
    userId: string,
    mode: StripeMode,
    stripeCustomerId: string,
  ): Promise<boolean> {
    // ON CONFLICT DO NOTHING on both unique keys: a conflict skips the row instead of aborting the transaction.
    const { count } = await tx.stripeCustomer.createMany({
      data: [{ projectId, userId, mode, stripeCustomerId }],
      skipDuplicates: true,
    });
    return count === 1;
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
