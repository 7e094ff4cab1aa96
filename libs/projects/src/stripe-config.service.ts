import { Injectable } from '@nestjs/common';
import {
  StripeConfigRepository,
  type ConfigActor,
  type MaskedStripeConfig,
  type StripeConfigHistoryPage,
  type StripeConfigPatch,
} from './stripe-config.repository.js';

/**
 * The one way a project's Stripe configuration changes, for the developer API and the operator CLI alike: absent or
 * null fields keep their value, "" clears it, and every change is recorded with who made it.
 */
@Injectable()
export class StripeConfigService {
  constructor(private readonly configs: StripeConfigRepository) {}

  find(projectId: string): Promise<MaskedStripeConfig | null> {
    return this.configs.find(projectId);
  }

  update(projectId: string, actor: ConfigActor, patch: StripeConfigPatch): Promise<MaskedStripeConfig> {
    const origins = patch.allowed_return_url_origins;
    // Stored as browsers compare them (lower-case, default port dropped), once each.
    const normalized = origins ? [...new Set(origins.map((origin) => new URL(origin).origin))] : origins;
    const prices = patch.allowed_price_ids;
    return this.configs.update(projectId, actor, {
      ...patch,
      allowed_return_url_origins: normalized,
      // Once each, in the order given.
      allowed_price_ids: prices ? [...new Set(prices)] : prices,
    });
  }

  deactivate(projectId: string, actor: ConfigActor): Promise<void> {
    return this.configs.deactivate(projectId, actor);
  }

  history(projectId: string, page: { page: number; pageSize: number }): Promise<StripeConfigHistoryPage> {
    return this.configs.history(projectId, page);
  }
}
