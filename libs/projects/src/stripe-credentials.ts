import type { StripeMode } from '#libs/config';

/** Key prefixes Stripe issues per mode; a key of the wrong kind or mode is refused before it is stored. */
const PREFIXES = {
  secretKey: { test: ['sk_test_', 'rk_test_'], live: ['sk_live_', 'rk_live_'] },
  publishableKey: { test: ['pk_test_'], live: ['pk_live_'] },
  webhookSecret: { test: ['whsec_'], live: ['whsec_'] },
  portalConfigurationId: { test: ['bpc_'], live: ['bpc_'] },
} as const;

export type CredentialField = keyof typeof PREFIXES;

const TOKEN_BODY = /^[A-Za-z0-9_]+$/;

/** Why `value` is not a valid `field` for `mode`, or undefined when it is. Never includes the value. */
export function credentialProblem(field: CredentialField, mode: StripeMode, value: string): string | undefined {
  const prefixes: readonly string[] = PREFIXES[field][mode];
  const prefix = prefixes.find((candidate) => value.startsWith(candidate));
  if (!prefix) return `must start with ${prefixes.join(' or ')} for ${mode} mode`;
  if (value.length <= prefix.length || value.length > 255 || !TOKEN_BODY.test(value)) {
    return 'is not a well-formed Stripe identifier';
  }
  return undefined;
}

/** `sk_test_...aBcD`: enough to recognise a key, never enough to use it. */
export function maskSecret(value: string): string {
  const prefix = /^(?:(?:sk|rk|pk)_(?:test|live)_|whsec_|bpc_)/.exec(value)?.[0] ?? '';
  return `${prefix}...${value.slice(-4)}`;
}
