import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../database/src/generated/prisma/client.js';
import { PrismaService } from '../../database/src/prisma.service.js';
import { ProjectAlreadyExists, ProjectNotFound } from './domain-errors.js';
import { isUniqueViolation } from './prisma-errors.js';

export interface NewProject {
  /** Chosen by an operator (CLI); generated otherwise. */
  id?: string;
  ownerId: string;
  name: string;
  description?: string | null;
}

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
 * The project aggregate. Every developer read and write carries the owner in its WHERE clause: a project that does
 * not exist and one owned by someone else are the same ProjectNotFound, so a developer cannot learn that another's
 * project exists.
 */
@Injectable()
export class ProjectsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(project: NewProject): Promise<ProjectRecord> {
    try {
      return await this.prisma.project.create({
        data: {
          id: project.id,
          ownerId: project.ownerId,
          name: project.name,
          description: project.description ?? null,
        },
        select: PROJECT_COLUMNS,
      });
    } catch (error) {
      if (project.id !== undefined && isUniqueViolation(error)) throw new ProjectAlreadyExists(project.id);
      throw error;
    }
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

  findOwned(id: string, ownerId: string): Promise<ProjectRecord | null> {
    return this.prisma.project.findFirst({ where: { id, ownerId }, select: PROJECT_COLUMNS });
  }

  /** Replaces name and description in one statement. */
  async replaceOwned(id: string, ownerId: string, fields: ProjectFields): Promise<ProjectRecord> {
    const [project] = await this.prisma.project.updateManyAndReturn({
      where: { id, ownerId },
      data: { name: fields.name, description: fields.description ?? null },
      select: PROJECT_COLUMNS,
    });
    if (!project) throw new ProjectNotFound();
    return project;
  }

  /**
   * Deletes the project in one statement; the foreign keys' ON DELETE CASCADE removes its Stripe configuration,
   * customer mappings and configuration history in the same transaction.
   */
  async deleteOwned(id: string, ownerId: string): Promise<void> {
    const { count } = await this.prisma.project.deleteMany({ where: { id, ownerId } });
    if (count === 0) throw new ProjectNotFound();
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
