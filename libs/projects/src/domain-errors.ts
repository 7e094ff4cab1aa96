/**
 * A refusal the domain can name, with the reference API's `detail` wording. Repositories and services raise these;
 * the HTTP layer maps `kind` to a status (DomainErrorFilter) and the CLI prints `message`.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'not-found' | 'conflict' | 'misconfigured';

  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export const PROJECT_NOT_FOUND = 'Project not found';
export const STRIPE_CONFIG_NOT_FOUND = 'Stripe configuration not found';
export const NO_CUSTOMER_DETAIL = 'No Stripe customer found for user';
export const STORED_SECRETS_UNREADABLE =
  "The project's stored Stripe secrets cannot be decrypted with the service's encryption key; an operator must " +
  'restore SECRETS_ENCRYPTION_KEY or list the former key in SECRETS_ENCRYPTION_PREVIOUS_KEYS';

/** Missing and someone else's project are the same error, so a developer cannot probe for others' projects. */
export class ProjectNotFound extends DomainError {
  readonly kind = 'not-found';

  /** The id is named only for an operator (CLI): a developer's 404 must read the same for every project. */
  constructor(projectId?: string) {
    super(projectId === undefined ? PROJECT_NOT_FOUND : `Project ${projectId} not found`);
  }
}

export class ProjectAlreadyExists extends DomainError {
  readonly kind = 'conflict';

  constructor(projectId: string) {
    super(`Project ${projectId} already exists`);
  }
}

export class StripeConfigNotFound extends DomainError {
  readonly kind = 'not-found';

  constructor() {
    super(STRIPE_CONFIG_NOT_FOUND);
  }
}

export class CustomerAlreadyLinked extends DomainError {
  readonly kind = 'conflict';

  constructor(stripeCustomerId: string, mode: string) {
    super(`Stripe customer ${stripeCustomerId} is already linked to another user of this project in ${mode} mode`);
  }
}

export class CustomerNotLinked extends DomainError {
  readonly kind = 'not-found';

  constructor() {
    super(NO_CUSTOMER_DETAIL);
  }
}

/**
 * A stored secret that none of the configured encryption keys decrypts (the key was replaced without keeping the old
 * one): the operator's fix, not the caller's, and retrying does not help until it is made.
 */
export class StoredSecretUnreadable extends DomainError {
  readonly kind = 'misconfigured';

  constructor() {
    super(STORED_SECRETS_UNREADABLE);
  }
}
