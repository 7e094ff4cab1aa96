import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, DeveloperAuth, type Principal } from '#libs/auth';
import { ProjectsRepository } from '#libs/projects';
import { ProjectPaymentConfigListResponse, toProjectPaymentConfigResponse } from './projects.dto.js';
import { ApiDatabaseUnavailable } from '#libs/http-errors';

@ApiTags('Payments')
@DeveloperAuth()
@ApiDatabaseUnavailable()
@Controller({ path: 'payments/projects', version: '1' })
export class ProjectsPaymentConfigController {
  constructor(private readonly projects: ProjectsRepository) {}

  @Get()
  @ApiOperation({
    operationId: 'listProjectsPaymentConfig',
    summary: 'List Projects Payment Config',
    description:
      "List all developer's projects with their payment configuration status including test/live credential " +
      'availability.',
  })
  @ApiOkResponse({ type: ProjectPaymentConfigListResponse, description: 'Every project of the calling developer.' })
  async list(@CurrentPrincipal() developer: Principal): Promise<ProjectPaymentConfigListResponse> {
    const projects = await this.projects.listPaymentStatus(developer.userId);
    return { projects: projects.map(toProjectPaymentConfigResponse), total: projects.length };
  }
}
