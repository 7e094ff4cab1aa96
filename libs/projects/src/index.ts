export {
  ProjectRegistryRepository,
  type ProjectFields,
  type ProjectPage,
  type ProjectPaymentStatus,
  type ProjectRecord,
} from './project-registry.repository.js';
export { ProjectsModule } from './projects.module.js';
export {
  PROJECT_NOT_FOUND,
  ProjectsRepository,
  type ModeCredentials,
  type NewProject,
  type PortalContext,
} from './projects.repository.js';
export { SecretCipher, SecretDecryptionError, stripeSecretContext } from './secret-cipher.js';
export {
  STRIPE_CONFIG_NOT_FOUND,
  StripeConfigRepository,
  type MaskedStripeConfig,
  type StripeConfigChangeEntry,
  type StripeConfigField,
  type StripeConfigPatch,
} from './stripe-config.repository.js';
export { credentialProblem, maskSecret, type CredentialField } from './stripe-credentials.js';
export { StripeCredentialsRepository, type StoredStripeCredentials } from './stripe-credentials.repository.js';
