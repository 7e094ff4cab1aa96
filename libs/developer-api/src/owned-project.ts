import { createParamDecorator, Injectable, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ApiNotFoundResponse, ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '#libs/auth';
import { ErrorDetail, UuidPathPipe } from '#libs/http-errors';
import { PROJECT_NOT_FOUND, ProjectNotFound, ProjectsRepository, type ProjectRecord } from '#libs/projects';

interface ProjectReference {
  rawProjectId: unknown;
  developer: Principal;
}

const projectIdPipe = new UuidPathPipe('project_id');

/**
 * Resolves the route's `project_id` to one of the calling developer's projects: 422 `uuid_parsing` for a malformed
 * id, ProjectNotFound (404) for a project that does not exist or belongs to someone else (ownership is in the query).
 */
@Injectable()
export class OwnedProjectPipe implements PipeTransform<ProjectReference, Promise<ProjectRecord>> {
  constructor(private readonly projects: ProjectsRepository) {}

  async transform({ rawProjectId, developer }: ProjectReference): Promise<ProjectRecord> {
    const projectId = projectIdPipe.transform(rawProjectId);
    // Nest runs a route's parameter pipes together and answers the first failure: yielding once lets the other
    // parameters' validation (microtasks only) fail first, so a malformed body is a 422 whether or not the project is ours.
    await new Promise((resolve) => setImmediate(resolve));
    const project = await this.projects.findOwned(projectId, developer.userId);
    if (!project) throw new ProjectNotFound();
    return project;
  }
}

const projectReference = createParamDecorator((_data: unknown, context: ExecutionContext): ProjectReference => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user: Principal }>();
  return { rawProjectId: (request.params as Record<string, unknown>).project_id, developer: request.user };
});

/** The calling developer's project named by the `project_id` path parameter (see OwnedProjectPipe). */
export const OwnedProject = (): ParameterDecorator => projectReference(OwnedProjectPipe);

export const ApiProjectIdParam = (): MethodDecorator & ClassDecorator =>
  ApiParam({ name: 'project_id', type: String, format: 'uuid', description: 'A project you own.' });

/** Missing and foreign projects look the same, so a developer cannot probe for others' projects. */
export const ApiProjectNotFound = (): MethodDecorator & ClassDecorator =>
  ApiNotFoundResponse({
    type: ErrorDetail,
    description: "No such project among yours (someone else's project answers the same).",
    example: { detail: PROJECT_NOT_FOUND },
  });
