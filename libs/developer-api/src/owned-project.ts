import { Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiParam } from '@nestjs/swagger';
import { ErrorDetail, UuidPathPipe } from '#libs/http-errors';
import { PROJECT_NOT_FOUND } from '#libs/projects';

/** The `project_id` path parameter of developer routes: a UUID (422 `uuid_parsing` otherwise). */
export const ProjectIdParam = (): ParameterDecorator => Param('project_id', new UuidPathPipe('project_id'));

export const ApiProjectIdParam = (): MethodDecorator & ClassDecorator =>
  ApiParam({ name: 'project_id', format: 'uuid', description: 'A project you own.' });

/** Missing and foreign projects look the same, so a developer cannot probe for others' projects. */
export const ApiProjectNotFound = (): MethodDecorator & ClassDecorator =>
  ApiNotFoundResponse({
    type: ErrorDetail,
    description: "No such project among yours (someone else's project answers the same).",
    example: { detail: PROJECT_NOT_FOUND },
  });
