import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { Issue, IsPresent, IsStorableText, issue } from '#libs/http-errors';
import type { ProjectPaymentStatus, ProjectRecord } from '#libs/projects';

export const PROJECT_NAME_MAX_LENGTH = 200;
export const PROJECT_DESCRIPTION_MAX_LENGTH = 2000;

const EXAMPLE_PROJECT_ID = '550e8400-e29b-41d4-a716-446655440000';
const EXAMPLE_OWNER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

// class-validator runs a property's rules bottom-up and reports the first failure: presence is listed last.

/** A new project: its name and an optional description. */
export class CreateProjectRequest {
  @ApiProperty({
    description: 'Project name.',
    minLength: 1,
    maxLength: PROJECT_NAME_MAX_LENGTH,
    example: 'My SaaS App',
    title: 'Name',
  })
  @MaxLength(PROJECT_NAME_MAX_LENGTH, issue(Issue.stringTooLong(PROJECT_NAME_MAX_LENGTH)))
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  name: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'What the project is; absent or null for none.',
    maxLength: PROJECT_DESCRIPTION_MAX_LENGTH,
    example: 'AI-powered image generation platform',
    title: 'Description',
  })
  @MaxLength(PROJECT_DESCRIPTION_MAX_LENGTH, issue(Issue.stringTooLong(PROJECT_DESCRIPTION_MAX_LENGTH)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsOptional()
  description?: string | null;
}

/** A project's new name and description: both are replaced, so an absent description clears it. */
export class UpdateProjectRequest extends CreateProjectRequest {}

/** A project owned by the calling developer. */
export class ProjectResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_PROJECT_ID, title: 'Id' })
  id: string;

  @ApiProperty({ example: 'My SaaS App', title: 'Name' })
  name: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'AI-powered image generation platform',
    title: 'Description',
  })
  description: string | null;

  @ApiProperty({
    format: 'uuid',
    description: 'The developer who owns the project (the `sub` of their token).',
    example: EXAMPLE_OWNER_ID,
    title: 'Owner Id',
  })
  owner_id: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-01-01T00:00:00.000Z', title: 'Created At' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-01-10T14:30:00.000Z', title: 'Updated At' })
  updated_at: string;
}

/** One page of the developer's projects, newest first. */
export class ProjectListResponse {
  @ApiProperty({ type: [ProjectResponse], title: 'Projects' })
  projects: ProjectResponse[];

  @ApiProperty({
    type: 'integer',
    description: 'How many projects the developer has in all.',
    example: 1,
    title: 'Total',
  })
  total: number;

  @ApiProperty({ type: 'integer', example: 1, title: 'Page' })
  page: number;

  @ApiProperty({ type: 'integer', example: 50, title: 'Page Size' })
  page_size: number;
}

/** Project with payment configuration status. */
export class ProjectPaymentConfigResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_PROJECT_ID, title: 'Id' })
  id: string;

  @ApiProperty({ example: 'My SaaS App', title: 'Name' })
  name: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'AI-powered image generation platform',
    title: 'Description',
  })
  description: string | null;

  @ApiProperty({ description: 'Whether any Stripe configuration exists.', example: true, title: 'Has Payment Config' })
  has_payment_config: boolean;

  @ApiProperty({
    description: 'Whether a test mode secret key is stored.',
    example: true,
    title: 'Has Test Credentials',
  })
  has_test_credentials: boolean;

  @ApiProperty({
    description: 'Whether a live mode secret key is stored.',
    example: false,
    title: 'Has Live Credentials',
  })
  has_live_credentials: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the test credentials were last set.',
    example: '2026-01-10T14:30:00.000Z',
    title: 'Test Configured At',
  })
  test_configured_at: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the live credentials were last set.',
    example: null,
    title: 'Live Configured At',
  })
  live_configured_at: string | null;

  @ApiProperty({
    description:
      'Whether the project is active: false only when its Stripe configuration was deactivated (DELETE config).',
    example: true,
    title: 'Is Active',
  })
  is_active: boolean;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-01-01T00:00:00.000Z', title: 'Created At' })
  created_at: string;
}

/** List of projects with payment config status. */
export class ProjectPaymentConfigListResponse {
  @ApiProperty({ type: [ProjectPaymentConfigResponse], title: 'Projects' })
  projects: ProjectPaymentConfigResponse[];

  @ApiProperty({ type: 'integer', example: 1, title: 'Total' })
  total: number;
}

export function toProjectResponse(project: ProjectRecord): ProjectResponse {
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    owner_id: project.ownerId,
    created_at: project.createdAt.toISOString(),
    updated_at: project.updatedAt.toISOString(),
  };
}

export function toProjectPaymentConfigResponse(project: ProjectPaymentStatus): ProjectPaymentConfigResponse {
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    has_payment_config: project.hasPaymentConfig,
    has_test_credentials: project.hasTestCredentials,
    has_live_credentials: project.hasLiveCredentials,
    test_configured_at: project.testConfiguredAt?.toISOString() ?? null,
    live_configured_at: project.liveConfiguredAt?.toISOString() ?? null,
    is_active: project.isActive,
    created_at: project.createdAt.toISOString(),
  };
}
