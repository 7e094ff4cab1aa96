/**
 * The rules for a project's configuration values beside its credentials, shared by the API's validation and the CLI
 * (which must not load NestJS to parse a command line).
 */

/** Most origins a configuration may list. */
export const ALLOWED_RETURN_URL_ORIGINS_MAX = 50;

/** Most prices a configuration may list. */
export const ALLOWED_PRICE_IDS_MAX = 100;

/** Longest free trial a project may offer, in days (Stripe's own limit). */
export const TRIAL_PERIOD_DAYS_MAX = 730;

/** Longest grace a project may give a past_due subscription, in days. */
export const PAST_DUE_GRACE_DAYS_MAX = 365;

const ORIGIN = /^https?:\/\/[^/?#@\\\s]+$/i;

/** `scheme://host[:port]` and nothing else, or undefined when it is one. */
export function originProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (!ORIGIN.test(value) || !URL.canParse(value)) return 'must be an origin like https://app.example.com (no path)';
  return undefined;
}

const PRICE_ID = /^price_[A-Za-z0-9]+$/;

/** A Stripe price id (`price_...`), or undefined when it is one. */
export function priceIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (!PRICE_ID.test(value) || value.length > 255) return 'must be a Stripe price id (price_...)';
  return undefined;
}
