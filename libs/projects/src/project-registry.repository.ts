import { Injectable, NotFoundException } from '@nestjs/common';
import type { Prisma } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { PROJECT_NOT_FOUND } from './projects.repository.js';

/** What a developer writes: PUT replaces both, so an absent description becomes null. */
export interface ProjectFields {
  name: string;
  description?: string | null;
}

export interface ProjectRecord {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProjectPage {
  projects: ProjectRecord[];
  total: number;
}

/** A project with whether, and for which modes, Stripe is configured; no secret leaves this class. */
export interface ProjectPaymentStatus {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  hasPaymentConfig: boolean;
  hasTestCredentials: boolean;
  hasLiveCredentials: boolean;
  testConfiguredAt: Date | null;
  liveConfiguredAt: Date | null;
  isActive: boolean;
}

const PROJECT_COLUMNS = {
  id: true,
  name: true,
  description: true,
  ownerId: true,
  createdAt: true,
  updatedAt: true,
} as const;

// Newest first; the id breaks ties between projects created in the same millisecond so pages never overlap.
const NEWEST_FIRST: Prisma.ProjectOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'desc' }];

/**
 * Projects as their developer manages them. Every read and write carries the owner in its WHERE clause: a project
 * that does not exist and one owned by someone else are the same 404, so a developer cannot learn that another's
 * project exists.
 */
@Injectable()
export class ProjectRegistryRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(ownerId: string, fields: ProjectFields): Promise<ProjectRecord> {
    return this.prisma.project.create({
      data: { ownerId, name: fields.name, description: fields.description ?? null },
      select: PROJECT_COLUMNS,
    });
  }

  /** One page of the owner's projects and their total, read in one transaction so the two agree. */
  async listOwned(ownerId: string, page: { page: number; pageSize: number }): Promise<ProjectPage> {
    const where = { ownerId };
    const [projects, total] = await this.prisma.$transaction([
      this.prisma.project.findMany({
        where,
        orderBy: NEWEST_FIRST,
        skip: (page.page - 1) * page.pageSize,
        take: page.pageSize,
        select: PROJECT_COLUMNS,
      }),
      this.prisma.project.count({ where }),
    ]);
    return { projects, total };
  }

  async findOwned(id: string, ownerId: string): Promise<ProjectRecord> {
    const project = await this.prisma.project.findFirst({ where: { id, ownerId }, select: PROJECT_COLUMNS });
    if (!project) throw notFound();
    return project;
  }

  /** Replaces name and description in one statement; 404 when the owner has no such project. */
  async replaceOwned(id: string, ownerId: string, fields: ProjectFields): Promise<ProjectRecord> {
    const [project] = await this.prisma.project.updateManyAndReturn({
      where: { id, ownerId },
      data: { name: fields.name, description: fields.description ?? null },
      select: PROJECT_COLUMNS,
    });
    if (!project) throw notFound();
    return project;
  }

  /**
   * Deletes the project in one statement; the foreign keys' ON DELETE CASCADE removes its Stripe configuration,
   * customer mappings and configuration history in the same transaction.
   */
  async deleteOwned(id: string, ownerId: string): Promise<void> {
    const { count } = await this.prisma.project.deleteMany({ where: { id, ownerId } });
    if (count === 0) throw notFound();
  }

  /** Every project of the owner, newest first, with its Stripe configuration status. */
  async listPaymentStatus(ownerId: string): Promise<ProjectPaymentStatus[]> {
    const projects = await this.prisma.project.findMany({
      where: { ownerId },
      orderBy: NEWEST_FIRST,
      select: {
        id: true,
        name: true,
        description: true,
        createdAt: true,
        stripeConfig: {
          select: {
            isActive: true,
            testSecretKey: true,
            liveSecretKey: true,
            testConfiguredAt: true,
            liveConfiguredAt: true,
          },
        },
      },
    });
    return projects.map(({ stripeConfig: config, ...project }) => ({
      ...project,
      hasPaymentConfig: config !== null,
      hasTestCredentials: Boolean(config?.testSecretKey),
      hasLiveCredentials: Boolean(config?.liveSecretKey),
      testConfiguredAt: config?.testConfiguredAt ?? null,
      liveConfiguredAt: config?.liveConfiguredAt ?? null,
      // As the reference: a project is active unless its payments were switched off (configuration deactivated).
      isActive: config?.isActive ?? true,
    }));
  }
}

function notFound(): NotFoundException {
  return new NotFoundException({ detail: PROJECT_NOT_FOUND });
}
