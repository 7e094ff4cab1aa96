import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MintRequest } from '#libs/auth';
import type { StripeMode } from '#libs/config';
// Straight from the module, not the library's index: parsing must not load NestJS (usage errors answer at once).
import {
  ALLOWED_PRICE_IDS_MAX,
  ALLOWED_RETURN_URL_ORIGINS_MAX,
  originProblem,
  PAST_DUE_GRACE_DAYS_MAX,
  priceIdProblem,
  TRIAL_PERIOD_DAYS_MAX,
} from '../../../libs/projects/src/stripe-config-values.js';
import { credentialProblem, type CredentialField } from '../../../libs/projects/src/stripe-credentials.js';
import type { NewProject, StripeConfigPatch } from '#libs/projects';

export const USAGE = `Usage: npm run -s cli -- <command> [options] [--json]

Commands:
  project create --name <name> --owner <developer-uuid> [--id <uuid>] [--description <text>]
  stripe set --project <uuid> --mode test|live [--secret-key <sk_...>] [--publishable-key <pk_...>]
             [--webhook-secret <whsec_...>] [--portal-configuration <bpc_...>]
             [--allowed-return-url-origins <origin,...>] [--allowed-price-ids <price_...,...>]
             [--trial-period-days <0..730>] [--past-due-grace-days <0..365>]
             as the API's PUT .../config: at least one option; a value replaces the stored one, "" clears it,
             an option left out keeps it; recorded in the configuration history as an operator change. The keys
             are --mode's; the last four options are the project's, whatever the mode (lists comma-separated)
  stripe sync --project <uuid> --mode test|live
             as the API's POST .../sync: re-reads the project's subscriptions from Stripe and records them
  customer link --project <uuid> --user <uuid> --mode test|live --customer <cus_...>
  customer unlink --project <uuid> --user <uuid> --mode test|live
  token mint --user <uuid> [--project <uuid>] [--ttl <seconds, 1..86400, default 1800>]
  secrets reencrypt
  db migrate
  help

Configuration comes from the same environment variables as the service.
--json prints exactly one JSON object on stdout. Exit codes: 0 success, 1 failure, 2 usage error.`;

/** A mistake in the command line (exit code 2); the message never repeats option values. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Command =
  | { name: 'help' }
  | { name: 'project create'; json: boolean; project: NewProject }
  | { name: 'stripe set'; json: boolean; projectId: string; mode: StripeMode; patch: StripeConfigPatch }
  | { name: 'stripe sync'; json: boolean; projectId: string; mode: StripeMode }
  | { name: 'customer link'; json: boolean; projectId: string; userId: string; mode: StripeMode; customerId: string }
  | { name: 'customer unlink'; json: boolean; projectId: string; userId: string; mode: StripeMode }
  | { name: 'token mint'; json: boolean; mint: MintRequest }
  | { name: 'secrets reencrypt'; json: boolean }
  | { name: 'db migrate'; json: boolean };

export type CommandName = Exclude<Command['name'], 'help'>;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

const text = { type: 'string' } as const;

const COMMANDS: { [name in CommandName]: { options: Options; build(values: Values): Command } } = {
  'project create': {
    options: { name: text, owner: text, id: text, description: text },
    build: (values) => ({
      name: 'project create',
      json: values.json === true,
      project: {
        id: optionalUuid(values, 'id'),
        name: required(values, 'name'),
        ownerId: uuid(values, 'owner'),
        description: optional(values, 'description'),
      },
    }),
  },
  'stripe set': {
    options: {
      project: text,
      mode: text,
      'secret-key': text,
      'publishable-key': text,
      'webhook-secret': text,
      'portal-configuration': text,
      'allowed-return-url-origins': text,
      'allowed-price-ids': text,
      'trial-period-days': text,
      'past-due-grace-days': text,
    },
    build: (values) => {
      const projectId = uuid(values, 'project');
      const mode = stripeMode(values);
      const patch: StripeConfigPatch = {
        [`${mode}_secret_key`]: credential(values, 'secret-key', 'secretKey', mode),
        [`${mode}_publishable_key`]: credential(values, 'publishable-key', 'publishableKey', mode),
        [`${mode}_webhook_secret`]: credential(values, 'webhook-secret', 'webhookSecret', mode),
        [`${mode}_portal_configuration_id`]: credential(values, 'portal-configuration', 'portalConfigurationId', mode),
        allowed_return_url_origins: list(
          values,
          'allowed-return-url-origins',
          ALLOWED_RETURN_URL_ORIGINS_MAX,
          originProblem,
        ),
        allowed_price_ids: list(values, 'allowed-price-ids', ALLOWED_PRICE_IDS_MAX, priceIdProblem),
        trial_period_days: days(values, 'trial-period-days', TRIAL_PERIOD_DAYS_MAX, null),
        past_due_grace_days: days(values, 'past-due-grace-days', PAST_DUE_GRACE_DAYS_MAX, 0),
      };
      if (Object.values(patch).every((value) => value === undefined))
        throw new UsageError(`Nothing to set: give ${SET_OPTIONS}`);
      return { name: 'stripe set', json: values.json === true, projectId, mode, patch };
    },
  },
  'stripe sync': {
    options: { project: text, mode: text },
    build: (values) => ({
      name: 'stripe sync',
      json: values.json === true,
      projectId: uuid(values, 'project'),
      mode: stripeMode(values),
    }),
  },
  'customer link': {
    options: { project: text, user: text, mode: text, customer: text },
    build: (values) => {
      const customerId = required(values, 'customer');
      if (!/^cus_[A-Za-z0-9]+$/.test(customerId) || customerId.length > 255) {
        throw new UsageError('--customer must be a Stripe customer id (cus_...)');
      }
      return {
        name: 'customer link',
        json: values.json === true,
        projectId: uuid(values, 'project'),
        userId: uuid(values, 'user'),
        mode: stripeMode(values),
        customerId,
      };
    },
  },
  'customer unlink': {
    options: { project: text, user: text, mode: text },
    build: (values) => ({
      name: 'customer unlink',
      json: values.json === true,
      projectId: uuid(values, 'project'),
      userId: uuid(values, 'user'),
      mode: stripeMode(values),
    }),
  },
  'token mint': {
    options: { user: text, project: text, ttl: text },
    build: (values) => ({
      name: 'token mint',
      json: values.json === true,
      mint: { userId: uuid(values, 'user'), projectId: optionalUuid(values, 'project'), ttlSeconds: ttl(values) },
    }),
  },
  'secrets reencrypt': { options: {}, build: (values) => ({ name: 'secrets reencrypt', json: values.json === true }) },
  'db migrate': { options: {}, build: (values) => ({ name: 'db migrate', json: values.json === true }) },
};

/** Turns `<group> <action> [options]` into a validated command, or throws UsageError. */
export function parseCommand(argv: readonly string[]): Command {
  const [group, action, ...rest] = argv;
  if (['help', '--help', '-h'].includes(group) || argv.includes('--help')) return { name: 'help' };
  if (group === undefined || group.startsWith('-')) throw new UsageError('Missing command; run `cli help` for usage');
  const name = `${group} ${action ?? ''}`.trim();
  if (!isCommandName(name)) throw new UsageError(`Unknown command "${name}"; run \`cli help\` for usage`);
  const { options, build } = COMMANDS[name];
  return build(parseOptions(rest, { ...options, json: { type: 'boolean' } }));
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

function parseOptions(args: string[], options: Options): Values {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Node's message for a stray positional quotes it, and that may be a secret typed in the wrong place.
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError('Unexpected argument; options take the form --name <value>');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError((error as Error).message.split(/\.\s/)[0]);
    }
    throw error;
  }
}

function optional(values: Values, option: string): string | undefined {
  const value = values[option];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${option} must not be empty`);
  return value;
}

function required(values: Values, option: string): string {
  const value = optional(values, option);
  if (value === undefined) throw new UsageError(`--${option} is required`);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function optionalUuid(values: Values, option: string): string | undefined {
  const value = optional(values, option);
  if (value !== undefined && !UUID.test(value)) throw new UsageError(`--${option} must be a UUID`);
  return value?.toLowerCase();
}

function uuid(values: Values, option: string): string {
  return optionalUuid(values, option) ?? required(values, option);
}

function stripeMode(values: Values): StripeMode {
  const mode = required(values, 'mode');
  if (mode !== 'test' && mode !== 'live') throw new UsageError('--mode must be test or live');
  return mode;
}

function ttl(values: Values): number {
  const value = optional(values, 'ttl');
  if (value === undefined) return 1800;
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= 1 && seconds <= 86_400))
    throw new UsageError('--ttl must be a whole number of seconds from 1 to 86400');
  return seconds;
}

const SET_OPTIONS =
  '--secret-key, --publishable-key, --webhook-secret, --portal-configuration, --allowed-return-url-origins, ' +
  '--allowed-price-ids, --trial-period-days or --past-due-grace-days';

/** A comma-separated list, each item checked as the API checks it; "" is the empty list (any), left out keeps it. */
function list(
  values: Values,
  option: string,
  max: number,
  problem: (item: string) => string | undefined,
): string[] | undefined {
  const value = values[option];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${option} needs a value`);
  const items = value === '' ? [] : value.split(',').map((item) => item.trim());
  if (items.length > max) throw new UsageError(`--${option} takes at most ${max} items`);
  const index = items.findIndex((item) => problem(item) !== undefined);
  if (index >= 0) throw new UsageError(`--${option} item ${index + 1} ${problem(items[index])}`);
  return items;
}

/** A whole number of days from 0 to `max`; "" clears it (to `cleared`), left out keeps it. */
function days(values: Values, option: string, max: number, cleared: number | null): number | null | undefined {
  const value = values[option];
  if (value === undefined) return undefined;
  if (value === '') return cleared;
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(count >= 0 && count <= max)) throw new UsageError(`--${option} must be a whole number from 0 to ${max}`);
  return count;
}

/** A Stripe key or id for the mode, "" to clear it, or undefined (left out) to keep the stored one. */
function credential(values: Values, option: string, field: CredentialField, mode: StripeMode): string | undefined {
  const value = values[option];
  if (value === undefined || value === '') return value;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${option} must not be blank`);
  const problem = credentialProblem(field, mode, value);
  if (problem) throw new UsageError(`--${option} ${problem}`);
  return value;
}
