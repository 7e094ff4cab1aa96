import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, DeveloperAuth, type Principal } from '#libs/auth';
import {
  pageQuery,
  pageSizeQuery,
  ApiBodyLimit,
  ApiDatabaseUnavailable,
  ApiPageQueries,
  HTTPValidationError,
  ErrorDetail,
  UuidPathPipe,
} from '#libs/http-errors';
import { PROJECT_NOT_FOUND, ProjectsRepository, type ProjectRecord } from '#libs/projects';
import { OwnedProject } from '../owned-project.js';
import {
  CreateProjectRequest,
  ProjectListResponse,
  ProjectResponse,
  toProjectResponse,
  UpdateProjectRequest,
} from './projects.dto.js';

const projectIdParam = ApiParam({
  name: 'project_id',
  description: "The project, one of the calling developer's own.",
  schema: { type: 'string', format: 'uuid', title: 'Project Id' },
  example: '550e8400-e29b-41d4-a716-446655440000',
});

const notFound = ApiNotFoundResponse({
  type: ErrorDetail,
  description: "No such project among the calling developer's own (another developer's project is the same 404).",
  example: { detail: PROJECT_NOT_FOUND },
});

const badProjectId = { loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' };

const bodyExamples = {
  missingName: {
    summary: 'Missing name',
    value: { detail: [{ loc: ['body', 'name'], msg: 'Field required', type: 'missing' }] },
  },
  longName: {
    summary: 'Name too long',
    value: {
      detail: [{ loc: ['body', 'name'], msg: 'String should have at most 200 characters', type: 'string_too_long' }],
    },
  },
};

@ApiTags('Projects')
@DeveloperAuth()
@ApiDatabaseUnavailable()
@Controller({ path: 'projects', version: '1' })
export class ProjectsController {
  constructor(private readonly projects: ProjectsRepository) {}

  @Post()
  @ApiBodyLimit()
  @ApiOperation({
    operationId: 'createProject',
    summary: 'Create Project',
    description: 'Create a project owned by the calling developer.',
  })
  @ApiBody({ type: CreateProjectRequest })
  @ApiCreatedResponse({ type: ProjectResponse, description: 'The project, created.' })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'Invalid body: name missing, not a string, empty or over 200 characters; description over 2000.',
    examples: bodyExamples,
  })
  async create(
    @CurrentPrincipal() developer: Principal,
    @Body() request: CreateProjectRequest,
  ): Promise<ProjectResponse> {
    const { name, description } = request;
    return toProjectResponse(await this.projects.create({ ownerId: developer.userId, name, description }));
  }

  @Get()
  @ApiOperation({
    operationId: 'listProjects',
    summary: 'List Projects',
    description: "List the calling developer's projects, newest first, one page at a time.",
  })
  @ApiPageQueries()
  @ApiOkResponse({ type: ProjectListResponse, description: 'One page of projects and the total.' })
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'page or page_size is not an integer or out of range.',
    example: {
      detail: [
        { loc: ['query', 'page_size'], msg: 'Input should be less than or equal to 100', type: 'less_than_equal' },
      ],
    },
  })
  async list(
    @CurrentPrincipal() developer: Principal,
    @Query('page', pageQuery) page: number,
    @Query('page_size', pageSizeQuery) pageSize: number,
  ): Promise<ProjectListResponse> {
    const { projects, total } = await this.projects.listOwned(developer.userId, { page, pageSize });
    return { projects: projects.map(toProjectResponse), total, page, page_size: pageSize };
  }

  @Get(':project_id')
  @ApiOperation({ operationId: 'getProject', summary: 'Get Project', description: 'Get one of your projects.' })
  @projectIdParam
  @ApiOkResponse({ type: ProjectResponse, description: 'The project.' })
  @notFound
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'project_id is not a UUID.',
    example: { detail: [badProjectId] },
  })
  get(@OwnedProject() project: ProjectRecord): ProjectResponse {
    return toProjectResponse(project);
  }

  @Put(':project_id')
  @ApiBodyLimit()
  @ApiOperation({
    operationId: 'updateProject',
    summary: 'Update Project',
    description: 'Replace the name and description of one of your projects (an absent description clears it).',
  })
  @projectIdParam
  @ApiBody({ type: UpdateProjectRequest })
  @ApiOkResponse({ type: ProjectResponse, description: 'The project, updated.' })
  @notFound
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'project_id is not a UUID, or the body is invalid.',
    examples: { badProjectId: { summary: 'Bad project_id', value: { detail: [badProjectId] } }, ...bodyExamples },
  })
  async update(
    @CurrentPrincipal() developer: Principal,
    @Param('project_id', new UuidPathPipe('project_id')) projectId: string,
    @Body() request: UpdateProjectRequest,
  ): Promise<ProjectResponse> {
    return toProjectResponse(await this.projects.replaceOwned(projectId, developer.userId, request));
  }

  @Delete(':project_id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteProject',
    summary: 'Delete Project',
    description:
      'Delete one of your projects together with its Stripe configuration, customer mappings and configuration ' +
      'history. This cannot be undone; subscriptions in Stripe itself are not touched.',
  })
  @projectIdParam
  @ApiNoContentResponse({ description: 'Deleted; no body.' })
  @notFound
  @ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description: 'project_id is not a UUID.',
    example: { detail: [badProjectId] },
  })
  async delete(
    @CurrentPrincipal() developer: Principal,
    @Param('project_id', new UuidPathPipe('project_id')) projectId: string,
  ): Promise<void> {
    await this.projects.deleteOwned(projectId, developer.userId);
  }
}
