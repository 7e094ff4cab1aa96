import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import { DeveloperAuth, type Principal } from '#libs/auth';
import { ApiRateLimitExceeded, RateLimitGuard, RateLimitStore } from '#libs/rate-limit';

/** Credential validations a developer may run per window, across all their projects. */
export const CREDENTIAL_VALIDATION_LIMIT = 10;
export const CREDENTIAL_VALIDATION_WINDOW_SECONDS = 60;

const tooManyValidations = (retryAfterSeconds: number) =>
  `Too many credential validations; try again in ${retryAfterSeconds} seconds`;

/**
 * Limits credential validations per developer (not per address), with the reference API's headers on every answer
 * after authentication, 429 included. It runs after the auth guards and before pipes and the handler, so a limited
 * caller never reaches Stripe: the endpoint cannot be used to test stolen keys in bulk. Counted in the shared
 * rate-limit store (Redis when configured, so the limit holds across replicas).
 */
@Injectable()
export class CredentialValidationRateLimit extends RateLimitGuard<{ user?: Principal }> {
  constructor(store: RateLimitStore) {
    super(
      store,
      {
        name: 'credential-validation',
        points: CREDENTIAL_VALIDATION_LIMIT,
        durationSeconds: CREDENTIAL_VALIDATION_WINDOW_SECONDS,
      },
      tooManyValidations,
    );
  }

  protected keyOf({ user: principal }: { user?: Principal }): string {
    // Guard order is part of the contract; without a principal this guard was wired before authentication.
    if (!principal) throw new Error('CredentialValidationRateLimit must run after authentication');
    return principal.userId;
  }
}

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
