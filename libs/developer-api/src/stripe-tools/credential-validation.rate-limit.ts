import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import { DeveloperAuth, type Principal } from '#libs/auth';
import { ApiRateLimitExceeded, RateLimitGuard, RateLimitStore } from '#libs/rate-limit';

/** Credential validations, customer links and syncs a developer may run per window, together, across all their projects. */
export const CREDENTIAL_VALIDATION_LIMIT = 10;
export const CREDENTIAL_VALIDATION_WINDOW_SECONDS = 60;

/** One budget for every path that sends a key to Stripe on a developer's request. */
const KEY_CHECKS = {
  name: 'credential-validation',
  points: CREDENTIAL_VALIDATION_LIMIT,
  durationSeconds: CREDENTIAL_VALIDATION_WINDOW_SECONDS,
};

const tooManyValidations = (retryAfterSeconds: number) =>
  `Too many credential validations; try again in ${retryAfterSeconds} seconds`;

const tooManyKeyUses = (retryAfterSeconds: number) =>
  `Too many Stripe key checks (credential validations, customer links and syncs share one limit); try again in ${retryAfterSeconds} seconds`;

function developerKey({ user: principal }: { user?: Principal }, guard: string): string {
  // Guard order is part of the contract; without a principal this guard was wired before authentication.
  if (!principal) throw new Error(`${guard} must run after authentication`);
  return principal.userId;
}

/**
 * Limits credential validations per developer (not per address), with the reference API's headers on every answer
 * after authentication, 429 included. It runs after the auth guards and before pipes and the handler, so a limited
 * caller never reaches Stripe: the endpoint cannot be used to test stolen keys in bulk. Counted in the shared
 * rate-limit store (Redis when configured, so the limit holds across replicas).
 */
@Injectable()
export class CredentialValidationRateLimit extends RateLimitGuard<{ user?: Principal }> {
  constructor(store: RateLimitStore) {
    super(store, KEY_CHECKS, tooManyValidations);
  }

  protected keyOf(request: { user?: Principal }): string {
    return developerKey(request, 'CredentialValidationRateLimit');
  }
}

/**
 * Customer links count against the same per-developer budget: linking a customer id that does not exist answers 422
 * for a key Stripe accepts and 502 for one it refuses, so storing candidate keys and linking would otherwise be a
 * key-validity check without the limit.
 */
@Injectable()
export class CustomerLinkRateLimit extends RateLimitGuard<{ user?: Principal }> {
  constructor(store: RateLimitStore) {
    super(store, KEY_CHECKS, tooManyKeyUses);
  }

  protected keyOf(request: { user?: Principal }): string {
    return developerKey(request, 'CustomerLinkRateLimit');
  }
}

/**
 * Syncs count against the same budget: each sends the project's stored key to Stripe (a 502 for a key Stripe refuses),
 * and one sync may make many Stripe calls.
 */
@Injectable()
export class SubscriptionSyncRateLimit extends RateLimitGuard<{ user?: Principal }> {
  constructor(store: RateLimitStore) {
    super(store, KEY_CHECKS, tooManyKeyUses);
  }

  protected keyOf(request: { user?: Principal }): string {
    return developerKey(request, 'SubscriptionSyncRateLimit');
  }
}

const SHARED_LIMIT_EXCEEDED = `More than ${CREDENTIAL_VALIDATION_LIMIT} credential validations, customer links and syncs together by this developer within the current ${CREDENTIAL_VALIDATION_WINDOW_SECONDS}-second window; Stripe is not called.`;

/** Developer authentication (401, 403), then the per-developer limit (429), documented as enforced. */
export function RateLimitedDeveloperAuth(): MethodDecorator {
  return applyDecorators(
    // applyDecorators applies in order, so the auth guards are registered (and run) before the limit.
    DeveloperAuth(),
    UseGuards(CredentialValidationRateLimit),
    ApiRateLimitExceeded({
      description: `More than ${CREDENTIAL_VALIDATION_LIMIT} credential validations by this developer within the current ${CREDENTIAL_VALIDATION_WINDOW_SECONDS}-second window; Stripe is not called.`,
      detail: tooManyValidations(42),
    }),
  );
}

/** Developer authentication, then the same per-developer budget as credential validations (429). */
export function RateLimitedCustomerLink(): MethodDecorator {
  return applyDecorators(
    DeveloperAuth(),
    UseGuards(CustomerLinkRateLimit),
    ApiRateLimitExceeded({
      description: SHARED_LIMIT_EXCEEDED,
      detail: tooManyKeyUses(42),
    }),
  );
}

/** Developer authentication, then the same per-developer budget as credential validations and customer links (429). */
export function RateLimitedSync(): MethodDecorator {
  return applyDecorators(
    DeveloperAuth(),
    UseGuards(SubscriptionSyncRateLimit),
    ApiRateLimitExceeded({ description: SHARED_LIMIT_EXCEEDED, detail: tooManyKeyUses(42) }),
  );
}
