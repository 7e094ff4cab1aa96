export {
  CustomerAlreadyLinked,
  CustomerNotLinked,
  DomainError,
  NO_CUSTOMER_DETAIL,
  PROJECT_NOT_FOUND,
  ProjectAlreadyExists,
  ProjectNotFound,
  STORED_SECRETS_UNREADABLE,
  STRIPE_CONFIG_NOT_FOUND,
  StoredSecretUnreadable,
  StripeConfigNotFound,
} from './domain-errors.js';
export { ProjectsModule } from './projects.module.js';
export {
  ProjectsRepository,
  type NewProject,
  type ProjectFields,
  type ProjectPage,
  type ProjectPaymentStatus,
  type ProjectRecord,
} from './projects.repository.js';
export { SecretCipher, SecretDecryptionError, stripeSecretContext } from './secret-cipher.js';
export {
  StoredSecretsKeyMismatch,
  StoredSecretsStartupCheck,
  storedSecretsKeyMismatchMessage,
} from './stored-secrets-startup-check.js';
export {
  OPERATOR,
  StripeConfigRepository,
  type CheckoutContext,
  type CheckoutLease,
  type CheckoutLeaseState,
  type RememberedCheckoutSession,
  type ConfigActor,
  type MaskedStripeConfig,
  type PortalContext,
  type StoredStripeCredentials,
  type SecretsWithoutKey,
  type StripeConfigChangeEntry,
  type StripeConfigField,
  type StripeConfigHistoryPage,
  type StripeConfigPatch,
  type SubscriptionChangeContext,
  type WebhookContext,
} from './stripe-config.repository.js';
export { StripeConfigService } from './stripe-config.service.js';
export { credentialProblem, maskSecret, type CredentialField } from './stripe-credentials.js';
export {
  ALLOWED_PRICE_IDS_MAX,
  ALLOWED_RETURN_URL_ORIGINS_MAX,
  originProblem,
  PAST_DUE_GRACE_DAYS_MAX,
  priceIdProblem,
  TRIAL_PERIOD_DAYS_MAX,
} from './stripe-config-values.js';
export { StripeCustomersRepository } from './stripe-customers.repository.js';
