import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import type { Principal } from '#libs/auth';
import { AppConfig } from '#libs/config';
import { ApiRateLimitExceeded, RateLimitGuard, RateLimitStore } from '#libs/rate-limit';

export const CONFIG_WRITE_WINDOW_SECONDS = 60;

const tooManyConfigWrites = (retryAfterSeconds: number) =>
  `Too many Stripe configuration changes; try again in ${retryAfterSeconds} seconds`;

/**
 * Limits Stripe configuration writes (PUT and DELETE config) per developer, across all their projects
 * (RATE_LIMIT_CONFIG_PER_MINUTE): every write costs a transaction and may add a history entry, so one
 * developer cannot grow the database or load it for everyone else. Runs after authentication and before the
 * ownership check and validation; counted in the shared rate-limit store.
 */
@Injectable()
export class ConfigWriteRateLimit extends RateLimitGuard<{ user?: Principal }> {
  constructor(store: RateLimitStore, config: AppConfig) {
    super(
      store,
      {
        name: 'config-write',
        points: config.rateLimit.configWritesPerMinute,
        durationSeconds: CONFIG_WRITE_WINDOW_SECONDS,
      },
      tooManyConfigWrites,
    );
  }

  protected keyOf({ user: principal }: { user?: Principal }): string {
    // Guard order is part of the contract; without a principal this guard was wired before authentication.
    if (!principal) throw new Error('ConfigWriteRateLimit must run after authentication');
    return principal.userId;
  }
}

/** The per-developer write limit (429), documented as enforced; the controller's DeveloperAuth runs first. */
export function RateLimitedConfigWrite(): MethodDecorator {
  return applyDecorators(
    UseGuards(ConfigWriteRateLimit),
    ApiRateLimitExceeded({
      description:
        'More Stripe configuration writes (PUT and DELETE together) by this developer than RATE_LIMIT_CONFIG_PER_MINUTE ' +
        `(30 by default) within the current ${CONFIG_WRITE_WINDOW_SECONDS}-second window; nothing is changed.`,
      detail: tooManyConfigWrites(42),
    }),
  );
}
