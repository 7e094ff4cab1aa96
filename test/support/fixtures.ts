import type { INestApplicationContext } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import {
  OPERATOR,
  ProjectsRepository,
  StripeConfigService,
  StripeCustomersRepository,
  type NewProject,
} from '#libs/projects';

/** One mode's Stripe credentials; as in PUT .../config, a field left out keeps its value and "" clears it. */
export interface ModeCredentials {
  secretKey?: string;
  publishableKey?: string;
  webhookSecret?: string;
  portalConfigurationId?: string;
}

/** Seeds a test's projects, Stripe keys and customer links through the service's own write paths, as the CLI does. */
export interface Fixtures {
  createProject(project: NewProject): Promise<{ id: string }>;
  setModeCredentials(projectId: string, mode: StripeMode, credentials: ModeCredentials): Promise<void>;
  linkCustomer(projectId: string, userId: string, mode: StripeMode, stripeCustomerId: string): Promise<void>;
}

export function fixtures(app: INestApplicationContext): Fixtures {
  return {
    createProject: (project) => app.get(ProjectsRepository).create(project),
    setModeCredentials: async (projectId, mode, credentials) => {
      await app.get(StripeConfigService).update(projectId, OPERATOR, {
        [`${mode}_secret_key`]: credentials.secretKey,
        [`${mode}_publishable_key`]: credentials.publishableKey,
        [`${mode}_webhook_secret`]: credentials.webhookSecret,
        [`${mode}_portal_configuration_id`]: credentials.portalConfigurationId,
      });
    },
    linkCustomer: (projectId, userId, mode, stripeCustomerId) =>
      app.get(StripeCustomersRepository).link(projectId, userId, mode, stripeCustomerId),
  };
}
