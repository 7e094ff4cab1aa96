import { Injectable } from '@nestjs/common';
import {
  ProjectsRepository,
  StripeConfigRepository,
  type MaskedStripeConfig,
  type StripeConfigPatch,
} from '#libs/projects';
import type { StripeConfigHistoryResponse, StripeConfigRequest, StripeConfigResponse } from './stripe-config.dto.js';

/** A developer's view of their project's Stripe configuration; every call checks ownership first. */
@Injectable()
export class StripeConfigService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly configs: StripeConfigRepository,
  ) {}

  async get(developerId: string, projectId: string): Promise<StripeConfigResponse | null> {
    await this.projects.requireOwnedProject(projectId, developerId);
    const config = await this.configs.find(projectId);
    return config && toResponse(config);
  }

  async update(developerId: string, projectId: string, request: StripeConfigRequest): Promise<StripeConfigResponse> {
    await this.projects.requireOwnedProject(projectId, developerId);
    const patch: StripeConfigPatch = { ...request };
    if (request.allowed_return_url_origins) {
      // Stored as browsers compare them (lower-case, default port dropped), once each.
      patch.allowed_return_url_origins = [...new Set(request.allowed_return_url_origins.map((o) => new URL(o).origin))];
    }
    return toResponse(await this.configs.update(projectId, developerId, patch));
  }

  async deactivate(developerId: string, projectId: string): Promise<void> {
    await this.projects.requireOwnedProject(projectId, developerId);
    await this.configs.deactivate(projectId, developerId);
  }

  async history(developerId: string, projectId: string): Promise<StripeConfigHistoryResponse> {
    await this.projects.requireOwnedProject(projectId, developerId);
    const changes = await this.configs.history(projectId);
    return {
      changes: changes.map((change) => ({
        id: change.id,
        actor_id: change.actorId,
        action: change.action,
        fields: change.fields,
        created_at: change.createdAt.toISOString(),
      })),
      total: changes.length,
    };
  }
}

function toResponse(config: MaskedStripeConfig): StripeConfigResponse {
  return {
    id: config.id,
    project_id: config.projectId,
    is_active: config.isActive,
    has_test_credentials: config.masked.test_secret_key !== null,
    has_live_credentials: config.masked.live_secret_key !== null,
    test_secret_key_masked: config.masked.test_secret_key,
    test_publishable_key_masked: config.masked.test_publishable_key,
    test_webhook_secret_masked: config.masked.test_webhook_secret,
    live_secret_key_masked: config.masked.live_secret_key,
    live_publishable_key_masked: config.masked.live_publishable_key,
    live_webhook_secret_masked: config.masked.live_webhook_secret,
    test_portal_configuration_id: config.testPortalConfigurationId,
    live_portal_configuration_id: config.livePortalConfigurationId,
    allowed_return_url_origins: config.allowedReturnUrlOrigins,
    test_configured_at: config.testConfiguredAt?.toISOString() ?? null,
    live_configured_at: config.liveConfiguredAt?.toISOString() ?? null,
    created_at: config.createdAt.toISOString(),
    updated_at: config.updatedAt.toISOString(),
  };
}
