import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

/** A blank number (`PORT=` in an env file) means "not set", as for the string variables: coercion would read it as 0. */
const unsetWhenBlank = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const blankAsUnset = <T extends z.ZodType>(schema: T) => z.preprocess(unsetWhenBlank, schema);

const positiveInt = (fallback: number) => blankAsUnset(z.coerce.number().int().positive().default(fallback));

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

function isPublicKeyPem(value: string): boolean {
  if (!value.includes('-----BEGIN PUBLIC KEY-----')) return false;
  try {
    const key = createPublicKey(value);
    return (
      key.asymmetricKeyType === 'rsa' ||
      (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    );
  } catch {
    return false;
  }
}

const base64Key32 = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, { error: 'must be 32 bytes, base64-encoded' });

/** An origin as browsers send it: scheme, host and optional port, nothing else. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

/** Named ranges Express (proxy-addr) and Fastify understand besides addresses and CIDR ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

/** Which proxies' X-Forwarded-For is believed: none, a hop count, or named addresses/ranges (never "everyone"). */
export type TrustProxy = false | number | string[];

const trustProxy = z
  .string()
  .transform((value) => value.trim())
  .refine((value) => /^(false|\d+)$/.test(value) || value.split(',').every((entry) => isProxyRange(entry.trim())), {
    error:
      'must be false, a number of proxy hops, or comma-separated proxy addresses, CIDR ranges or loopback/linklocal/uniquelocal',
  })
  .transform((value): TrustProxy => {
    if (value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',').map((entry) => entry.trim());
  });

const httpBaseUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

/** Every environment variable the service reads; README's configuration table lists the same names. */
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: blankAsUnset(z.coerce.number().int().min(0).max(65535).default(3000)),
  TRUST_PROXY: optionalNonEmpty.pipe(trustProxy.optional()),
  HTTP_REQUEST_TIMEOUT_MS: blankAsUnset(z.coerce.number().int().min(1000).max(300_000).default(10_000)),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: blankAsUnset(z.coerce.number().int().min(1000).max(600_000).default(72_000)),
  HTTP_MAX_CONNECTIONS: blankAsUnset(z.coerce.number().int().min(16).max(1_000_000).default(10_000)),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  DATABASE_URL: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
      .optional(),
  ),
  DATABASE_POOL_SIZE: positiveInt(10),
  DATABASE_QUERY_TIMEOUT_MS: blankAsUnset(z.coerce.number().int().min(100).max(600_000).default(5_000)),
  PGLITE_DATA_DIR: z.string().min(1).default('./.data'),
  DEV_SECRETS_FILE: optionalNonEmpty.pipe(
    z
      .string()
      .refine((value) => !/[\\/]$/.test(value), { error: 'must be a file path, not a folder' })
      .default('./.data/dev-secrets.json'),
  ),
  MIGRATE_ON_START: booleanString.default(true),
  JWT_SECRET: optionalNonEmpty.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_PUBLIC_KEY: optionalNonEmpty.pipe(
    z
      .string()
      // One-line env files carry the PEM's newlines as literal "\n".
      .transform((value) => value.replace(/\\n/g, '\n'))
      .pipe(z.string().refine(isPublicKeyPem, { error: 'must be an inline PEM public key (RSA or EC P-256)' }))
      .optional(),
  ),
  JWT_ISSUER: optionalNonEmpty,
  JWT_AUDIENCE: optionalNonEmpty,
  JWT_CLOCK_TOLERANCE_SECONDS: blankAsUnset(z.coerce.number().int().min(0).max(300).default(30)),
  SECRETS_ENCRYPTION_KEY: optionalNonEmpty.pipe(base64Key32.optional()),
  SECRETS_ENCRYPTION_PREVIOUS_KEYS: optionalNonEmpty.pipe(
    z
      .string()
      .transform((value) => value.split(',').map((key) => key.trim()))
      .pipe(z.array(base64Key32))
      .optional(),
  ),
  PUBLIC_BASE_URL: optionalNonEmpty.pipe(httpBaseUrl.optional()),
  STRIPE_API_BASE_URL: optionalNonEmpty.pipe(httpBaseUrl.optional()),
  STRIPE_TIMEOUT_MS: positiveInt(10_000),
  STRIPE_MAX_NETWORK_RETRIES: blankAsUnset(z.coerce.number().int().min(0).max(5).default(2)),
  STRIPE_CLIENT_CACHE_SIZE: positiveInt(1000),
  CORS_ORIGINS: optionalNonEmpty.pipe(
    z
      .string()
      .transform((value) => value.split(',').map((origin) => origin.trim()))
      .pipe(
        z.array(z.string().refine(isOrigin, { error: 'must be comma-separated origins like https://app.example.com' })),
      )
      .optional(),
  ),
  RATE_LIMIT_USER_PER_MINUTE: positiveInt(60),
  RATE_LIMIT_IP_PER_MINUTE: positiveInt(300),
  RATE_LIMIT_CONFIG_PER_MINUTE: positiveInt(30),
  RATE_LIMIT_KEY_PREFIX: optionalNonEmpty.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1 to 64 letters, digits or : _ . -')
      .default('rate-limit'),
  ),
  // At least a few command timeouts (250 ms each), so calls made before the breaker opened are over when it probes.
  RATE_LIMIT_REDIS_BACKOFF_MS: blankAsUnset(z.coerce.number().int().min(1000).max(300_000).default(5000)),
  REDIS_URL: optionalNonEmpty.pipe(
    z.url({ protocol: /^rediss?$/, hostname: /./, error: 'must be a redis:// or rediss:// URL' }).optional(),
  ),
  STRIPE_MAX_IN_FLIGHT_PER_PROJECT: positiveInt(20),
  METRICS_TOKEN: optionalNonEmpty.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
});

export type Environment = z.infer<typeof environmentSchema>;

export type StripeMode = 'test' | 'live';

/** The validated, typed configuration every module receives; built once at start-up. */
export class AppConfig {
  readonly production: boolean;
  /**
   * `trustProxy` decides the client address (`request.ip`) that per-address rate limits count. `behindTls`: browsers
   * reach the service over https (PUBLIC_BASE_URL is https), so its CSP may tell them to upgrade http requests.
   */
  readonly http: {
    host: string;
    port: number;
    trustProxy: TrustProxy;
    behindTls: boolean;
    /** Headers and body must have arrived within this; a slower (or stalled) client gets 408 and is cut off. */
    requestTimeoutMs: number;
    /** How long an idle keep-alive connection stays open. */
    keepAliveTimeoutMs: number;
    /** Connections beyond this are refused at once, so a flood cannot exhaust the process's file descriptors. */
    maxConnections: number;
  };
  readonly logLevel: Environment['LOG_LEVEL'];
  /** Browser origins allowed to call the API (CORS); empty: no CORS headers, browsers refuse cross-origin calls. */
  readonly corsOrigins: string[];
  /** Where Stripe reaches this service from outside (webhook URLs); unset when not configured. */
  readonly publicBaseUrl?: string;
  readonly database:
    | { kind: 'postgres'; url: string; poolSize: number; queryTimeoutMs: number; migrateOnStart: boolean }
    | { kind: 'pglite'; dataDir: string | 'memory://'; migrateOnStart: boolean };
  readonly jwt: {
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
    clockToleranceSeconds: number;
  };
  readonly secrets: { currentKey: Buffer; previousKeys: Buffer[] };
  readonly stripe: {
    apiBaseUrl?: URL;
    timeoutMs: number;
    maxNetworkRetries: number;
    clientCacheSize: number;
    maxInFlightPerProject: number;
  };
  /**
   * Requests per minute on end-user endpoints, and Stripe configuration writes per minute per developer; counters in
   * Redis when `redisUrl` is set, else in this process. `redisBackoffMs`: after a Redis failure, how long requests are
   * counted in this process before Redis is tried again.
   */
  readonly rateLimit: {
    userPerMinute: number;
    ipPerMinute: number;
    configWritesPerMinute: number;
    keyPrefix: string;
    redisUrl?: string;
    redisBackoffMs: number;
  };
  /** `token` unset: GET /metrics is open, like the health endpoints; set: it needs `Authorization: Bearer <token>`. */
  readonly metrics: { token?: string };

  /**
   * `generated`: development secrets standing in for unset variables; `formerEncryptionKeys` are development keys
   * from a former secrets file, kept to decrypt what they encrypted.
   */
  constructor(
    env: Environment,
    generated: { jwtSecret?: string; encryptionKey?: string; formerEncryptionKeys?: string[] } = {},
  ) {
    this.production = env.NODE_ENV === 'production';
    this.http = {
      host: env.HOST,
      port: env.PORT,
      trustProxy: env.TRUST_PROXY ?? false,
      behindTls: env.PUBLIC_BASE_URL !== undefined && new URL(env.PUBLIC_BASE_URL).protocol === 'https:',
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
    };
    this.logLevel = env.LOG_LEVEL;
    this.corsOrigins = env.CORS_ORIGINS ?? [];
    this.publicBaseUrl = env.PUBLIC_BASE_URL?.replace(/\/+$/, '');
    this.database = env.DATABASE_URL
      ? {
          kind: 'postgres',
          url: env.DATABASE_URL,
          poolSize: env.DATABASE_POOL_SIZE,
          queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
          migrateOnStart: env.MIGRATE_ON_START,
        }
      : { kind: 'pglite', dataDir: env.PGLITE_DATA_DIR, migrateOnStart: env.MIGRATE_ON_START };
    this.jwt = {
      secret: env.JWT_SECRET ?? (env.JWT_PUBLIC_KEY ? undefined : generated.jwtSecret),
      publicKey: env.JWT_PUBLIC_KEY,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
    };
    const currentKey = env.SECRETS_ENCRYPTION_KEY ?? generated.encryptionKey;
    if (!currentKey) throw new ConfigurationError(['SECRETS_ENCRYPTION_KEY: required']);
    this.secrets = {
      currentKey: Buffer.from(currentKey, 'base64'),
      previousKeys: [...(env.SECRETS_ENCRYPTION_PREVIOUS_KEYS ?? []), ...(generated.formerEncryptionKeys ?? [])].map(
        (key) => Buffer.from(key, 'base64'),
      ),
    };
    this.stripe = {
      apiBaseUrl: env.STRIPE_API_BASE_URL ? new URL(env.STRIPE_API_BASE_URL) : undefined,
      timeoutMs: env.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: env.STRIPE_MAX_NETWORK_RETRIES,
      clientCacheSize: env.STRIPE_CLIENT_CACHE_SIZE,
      maxInFlightPerProject: env.STRIPE_MAX_IN_FLIGHT_PER_PROJECT,
    };
    this.rateLimit = {
      userPerMinute: env.RATE_LIMIT_USER_PER_MINUTE,
      ipPerMinute: env.RATE_LIMIT_IP_PER_MINUTE,
      configWritesPerMinute: env.RATE_LIMIT_CONFIG_PER_MINUTE,
      keyPrefix: env.RATE_LIMIT_KEY_PREFIX,
      redisUrl: env.REDIS_URL,
      redisBackoffMs: env.RATE_LIMIT_REDIS_BACKOFF_MS,
    };
    this.metrics = { token: env.METRICS_TOKEN };
  }

  /** Whether the embedded database is kept on disk. */
  get embeddedDataDir(): string | undefined {
    return this.database.kind === 'pglite' && this.database.dataDir !== 'memory://' ? this.database.dataDir : undefined;
  }
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}
