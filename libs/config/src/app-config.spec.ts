import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AppConfig, ConfigurationError, environmentSchema } from './index.js';

const KEY = Buffer.alloc(32, 1).toString('base64');
const PREVIOUS_KEY_1 = Buffer.alloc(32, 2).toString('base64');
const PREVIOUS_KEY_2 = Buffer.alloc(32, 3).toString('base64');
const JWT_SECRET = 'j'.repeat(32);
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString().trim();
const PUBLIC_KEY = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
const RSA_PUBLIC_KEY = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
const ED25519_PUBLIC_KEY = pem(generateKeyPairSync('ed25519').publicKey);

/** The problems zod reports for `env`, as loadConfig words them. */
function problems(env: Record<string, string>): string[] {
  const result = environmentSchema.safeParse(env);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function configWith(env: Record<string, string>): AppConfig {
  return new AppConfig(environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: KEY, ...env }));
}

describe('environmentSchema', () => {
  it('fills in every default', () => {
    expect(environmentSchema.parse({})).toEqual({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3000,
      HTTP_REQUEST_TIMEOUT_MS: 10_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
      HTTP_MAX_CONNECTIONS: 10_000,
      LOG_LEVEL: 'log',
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 10,
      DATABASE_QUERY_TIMEOUT_MS: 5_000,
      PGLITE_DATA_DIR: './.data',
      DEV_SECRETS_FILE: './.data/dev-secrets.json',
      MIGRATE_ON_START: true,
      JWT_SECRET: undefined,
      JWT_PUBLIC_KEY: undefined,
      JWT_ISSUER: undefined,
      JWT_AUDIENCE: undefined,
      JWT_CLOCK_TOLERANCE_SECONDS: 30,
      SECRETS_ENCRYPTION_KEY: undefined,
      SECRETS_ENCRYPTION_PREVIOUS_KEYS: undefined,
      STRIPE_API_BASE_URL: undefined,
      STRIPE_TIMEOUT_MS: 10_000,
      STRIPE_MAX_NETWORK_RETRIES: 2,
      STRIPE_CLIENT_CACHE_SIZE: 1000,
      TRUST_PROXY: undefined,
      RATE_LIMIT_USER_PER_MINUTE: 60,
      RATE_LIMIT_IP_PER_MINUTE: 300,
      RATE_LIMIT_CONFIG_PER_MINUTE: 30,
      RATE_LIMIT_KEY_PREFIX: 'rate-limit',
      RATE_LIMIT_REDIS_BACKOFF_MS: 5000,
      REDIS_URL: undefined,
      STRIPE_MAX_IN_FLIGHT_PER_PROJECT: 20,
      METRICS_TOKEN: undefined,
    });
  });

  it('ignores variables it does not know', () => {
    const parsed = environmentSchema.parse({ PATH: '/usr/bin', HOME: '/root' }) as Record<string, unknown>;
    expect(parsed.PATH).toBeUndefined();
    expect(parsed.HOME).toBeUndefined();
  });

  describe('PORT', () => {
    it.each([
      ['0', 0],
      ['1', 1],
      ['8080', 8080],
      ['65535', 65535],
    ])('accepts %p', (raw, port) => {
      expect(environmentSchema.parse({ PORT: raw }).PORT).toBe(port);
    });

    it.each(['abc', '-1', '65536', '3000.5', 'NaN'])('refuses %p', (raw) => {
      expect(problems({ PORT: raw })).toHaveLength(1);
      expect(problems({ PORT: raw })[0]).toMatch(/^PORT: /);
    });

    it.each(['', ' ', '\t'])('treats the blank value %j as unset (3000), not as port 0', (raw) => {
      expect(environmentSchema.parse({ PORT: raw }).PORT).toBe(3000);
    });
  });

  describe('numbers', () => {
    it('reads every numeric variable', () => {
      const parsed = environmentSchema.parse({
        DATABASE_POOL_SIZE: '4',
        DATABASE_QUERY_TIMEOUT_MS: '1500',
        JWT_CLOCK_TOLERANCE_SECONDS: '0',
        STRIPE_TIMEOUT_MS: '2500',
        STRIPE_MAX_NETWORK_RETRIES: '5',
        STRIPE_CLIENT_CACHE_SIZE: '7',
        RATE_LIMIT_USER_PER_MINUTE: '5',
        RATE_LIMIT_IP_PER_MINUTE: '1000000',
        RATE_LIMIT_CONFIG_PER_MINUTE: '12',
        RATE_LIMIT_REDIS_BACKOFF_MS: '1000',
        STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '3',
        HTTP_REQUEST_TIMEOUT_MS: '1000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
        HTTP_MAX_CONNECTIONS: '16',
      });
      expect(parsed.HTTP_REQUEST_TIMEOUT_MS).toBe(1000);
      expect(parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS).toBe(600_000);
      expect(parsed.HTTP_MAX_CONNECTIONS).toBe(16);
      expect(parsed.DATABASE_POOL_SIZE).toBe(4);
      expect(parsed.DATABASE_QUERY_TIMEOUT_MS).toBe(1500);
      expect(parsed.JWT_CLOCK_TOLERANCE_SECONDS).toBe(0);
      expect(parsed.STRIPE_TIMEOUT_MS).toBe(2500);
      expect(parsed.STRIPE_MAX_NETWORK_RETRIES).toBe(5);
      expect(parsed.STRIPE_CLIENT_CACHE_SIZE).toBe(7);
      expect(parsed.RATE_LIMIT_USER_PER_MINUTE).toBe(5);
      expect(parsed.RATE_LIMIT_IP_PER_MINUTE).toBe(1_000_000);
      expect(parsed.RATE_LIMIT_CONFIG_PER_MINUTE).toBe(12);
      expect(parsed.RATE_LIMIT_REDIS_BACKOFF_MS).toBe(1000);
      expect(parsed.STRIPE_MAX_IN_FLIGHT_PER_PROJECT).toBe(3);
    });

    it('treats blank numbers as unset rather than 0', () => {
      const parsed = environmentSchema.parse({
        DATABASE_POOL_SIZE: '',
        DATABASE_QUERY_TIMEOUT_MS: '',
        JWT_CLOCK_TOLERANCE_SECONDS: '',
        STRIPE_TIMEOUT_MS: ' ',
        STRIPE_MAX_NETWORK_RETRIES: '',
        STRIPE_CLIENT_CACHE_SIZE: '',
        RATE_LIMIT_USER_PER_MINUTE: '',
        RATE_LIMIT_IP_PER_MINUTE: ' ',
        RATE_LIMIT_CONFIG_PER_MINUTE: '',
        RATE_LIMIT_REDIS_BACKOFF_MS: '',
        STRIPE_MAX_IN_FLIGHT_PER_PROJECT: '',
      });
      expect(parsed.DATABASE_POOL_SIZE).toBe(10);
      expect(parsed.DATABASE_QUERY_TIMEOUT_MS).toBe(5_000);
      expect(parsed.JWT_CLOCK_TOLERANCE_SECONDS).toBe(30);
      expect(parsed.STRIPE_TIMEOUT_MS).toBe(10_000);
      expect(parsed.STRIPE_MAX_NETWORK_RETRIES).toBe(2);
      expect(parsed.STRIPE_CLIENT_CACHE_SIZE).toBe(1000);
      expect(parsed.RATE_LIMIT_USER_PER_MINUTE).toBe(60);
      expect(parsed.RATE_LIMIT_IP_PER_MINUTE).toBe(300);
      expect(parsed.RATE_LIMIT_CONFIG_PER_MINUTE).toBe(30);
      expect(parsed.RATE_LIMIT_REDIS_BACKOFF_MS).toBe(5000);
      expect(parsed.STRIPE_MAX_IN_FLIGHT_PER_PROJECT).toBe(20);
    });

    it.each([
      ['STRIPE_TIMEOUT_MS', '0'],
      ['STRIPE_TIMEOUT_MS', '-1'],
      ['STRIPE_TIMEOUT_MS', '1.5'],
      ['STRIPE_TIMEOUT_MS', 'ten'],
      ['STRIPE_MAX_NETWORK_RETRIES', '6'],
      ['STRIPE_MAX_NETWORK_RETRIES', '-1'],
      ['STRIPE_CLIENT_CACHE_SIZE', '0'],
      ['STRIPE_MAX_IN_FLIGHT_PER_PROJECT', '0'],
      ['STRIPE_MAX_IN_FLIGHT_PER_PROJECT', '2.5'],
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_QUERY_TIMEOUT_MS', '99'],
      ['DATABASE_QUERY_TIMEOUT_MS', '600001'],
      ['DATABASE_QUERY_TIMEOUT_MS', '2.5'],
      ['JWT_CLOCK_TOLERANCE_SECONDS', '301'],
      ['JWT_CLOCK_TOLERANCE_SECONDS', '-1'],
      ['RATE_LIMIT_USER_PER_MINUTE', '0'],
      ['RATE_LIMIT_IP_PER_MINUTE', '1.5'],
      ['RATE_LIMIT_CONFIG_PER_MINUTE', '0'],
      ['RATE_LIMIT_CONFIG_PER_MINUTE', '-3'],
      ['RATE_LIMIT_REDIS_BACKOFF_MS', '999'],
      ['RATE_LIMIT_REDIS_BACKOFF_MS', '300001'],
      ['RATE_LIMIT_REDIS_BACKOFF_MS', '5s'],
      ['HTTP_REQUEST_TIMEOUT_MS', '999'],
      ['HTTP_REQUEST_TIMEOUT_MS', '300001'],
      ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'],
      ['HTTP_MAX_CONNECTIONS', '15'],
      ['HTTP_MAX_CONNECTIONS', 'many'],
    ])('refuses %s=%p', (name, raw) => {
      const found = problems({ [name]: raw });
      expect(found).toHaveLength(1);
      expect(found[0].startsWith(`${name}: `)).toBe(true);
    });
  });

  describe('MIGRATE_ON_START', () => {
    it.each([
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
    ])('reads %p as %p', (raw, value) => {
      expect(environmentSchema.parse({ MIGRATE_ON_START: raw }).MIGRATE_ON_START).toBe(value);
    });

    it.each(['yes', 'no', 'TRUE', 'False', '2', ''])('refuses %p', (raw) => {
      expect(problems({ MIGRATE_ON_START: raw })).toEqual(['MIGRATE_ON_START: must be true or false']);
    });
  });

  describe('enumerations', () => {
    it.each(['development', 'test', 'production'])('accepts NODE_ENV=%s', (value) => {
      expect(environmentSchema.parse({ NODE_ENV: value }).NODE_ENV).toBe(value);
    });

    it.each([
      ['NODE_ENV', 'staging'],
      ['NODE_ENV', 'Production'],
      ['LOG_LEVEL', 'info'],
      ['LOG_LEVEL', 'trace'],
    ])('refuses %s=%p', (name, value) => {
      const found = problems({ [name]: value });
      expect(found).toHaveLength(1);
      expect(found[0].startsWith(`${name}: `)).toBe(true);
    });
  });

  describe('DATABASE_URL', () => {
    it.each(['postgres://u:p@localhost:5432/db', 'postgresql://localhost/db'])('accepts %p', (url) => {
      expect(environmentSchema.parse({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    });

    it.each(['', '   '])('treats %p as unset', (url) => {
      expect(environmentSchema.parse({ DATABASE_URL: url }).DATABASE_URL).toBeUndefined();
    });

    it.each(['mysql://root:hunter2@db/app', 'localhost:5432', 'http://postgres'])(
      'refuses %p without echoing it',
      (url) => {
        expect(problems({ DATABASE_URL: url })).toEqual(['DATABASE_URL: must be a postgresql:// URL']);
      },
    );
  });

  describe('JWT settings', () => {
    it('accepts a JWT_SECRET of exactly 32 characters', () => {
      expect(environmentSchema.parse({ JWT_SECRET: JWT_SECRET }).JWT_SECRET).toBe(JWT_SECRET);
    });

    it('refuses a JWT_SECRET of 31 characters, without echoing it', () => {
      expect(problems({ JWT_SECRET: 's3cr3t'.padEnd(31, 'x') })).toEqual([
        'JWT_SECRET: must be at least 32 characters',
      ]);
    });

    it('treats a blank JWT_SECRET as unset', () => {
      expect(environmentSchema.parse({ JWT_SECRET: '  ' }).JWT_SECRET).toBeUndefined();
    });

    it('accepts an inline RSA or P-256 PEM public key, also with escaped newlines, and refuses anything else', () => {
      expect(environmentSchema.parse({ JWT_PUBLIC_KEY: PUBLIC_KEY }).JWT_PUBLIC_KEY).toBe(PUBLIC_KEY);
      expect(environmentSchema.parse({ JWT_PUBLIC_KEY: RSA_PUBLIC_KEY }).JWT_PUBLIC_KEY).toBe(RSA_PUBLIC_KEY);
      const escaped = PUBLIC_KEY.replace(/\n/g, '\\n');
      expect(escaped).not.toContain('\n');
      expect(environmentSchema.parse({ JWT_PUBLIC_KEY: escaped }).JWT_PUBLIC_KEY).toBe(PUBLIC_KEY);
      const refused = 'JWT_PUBLIC_KEY: must be an inline PEM public key (RSA or EC P-256)';
      expect(problems({ JWT_PUBLIC_KEY: '/etc/keys/public.pem' })).toEqual([refused]);
      expect(problems({ JWT_PUBLIC_KEY: '-----BEGIN PRIVATE KEY-----\nabc' })).toEqual([refused]);
      expect(problems({ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----' })).toEqual([
        refused,
      ]);
      expect(problems({ JWT_PUBLIC_KEY: ED25519_PUBLIC_KEY })).toEqual([refused]);
    });
  });

  describe('encryption keys', () => {
    it('accepts a 32-byte base64 key', () => {
      expect(environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: KEY }).SECRETS_ENCRYPTION_KEY).toBe(KEY);
    });

    it.each([
      ['a short value', 'short'],
      ['16 bytes', Buffer.alloc(16, 1).toString('base64')],
      ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
      ['a 64-character hex key (32 bytes only as hex)', Buffer.alloc(32, 1).toString('hex')],
    ])('refuses %s', (_label, value) => {
      expect(problems({ SECRETS_ENCRYPTION_KEY: value })).toEqual([
        'SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded',
      ]);
    });

    it('parses a comma-separated list of previous keys, trimming spaces', () => {
      expect(
        environmentSchema.parse({ SECRETS_ENCRYPTION_PREVIOUS_KEYS: `${PREVIOUS_KEY_1}, ${PREVIOUS_KEY_2} ` })
          .SECRETS_ENCRYPTION_PREVIOUS_KEYS,
      ).toEqual([PREVIOUS_KEY_1, PREVIOUS_KEY_2]);
      expect(
        environmentSchema.parse({ SECRETS_ENCRYPTION_PREVIOUS_KEYS: PREVIOUS_KEY_1 }).SECRETS_ENCRYPTION_PREVIOUS_KEYS,
      ).toEqual([PREVIOUS_KEY_1]);
    });

    it('names the position of a bad previous key', () => {
      expect(problems({ SECRETS_ENCRYPTION_PREVIOUS_KEYS: `${PREVIOUS_KEY_1},short` })).toEqual([
        'SECRETS_ENCRYPTION_PREVIOUS_KEYS.1: must be 32 bytes, base64-encoded',
      ]);
      expect(problems({ SECRETS_ENCRYPTION_PREVIOUS_KEYS: `${PREVIOUS_KEY_1},,${PREVIOUS_KEY_2}` })).toEqual([
        'SECRETS_ENCRYPTION_PREVIOUS_KEYS.1: must be 32 bytes, base64-encoded',
      ]);
    });
  });

  describe('STRIPE_API_BASE_URL', () => {
    it.each(['http://localhost:12111', 'https://stripe-proxy.example.com/'])('accepts %p', (url) => {
      expect(environmentSchema.parse({ STRIPE_API_BASE_URL: url }).STRIPE_API_BASE_URL).toBe(url);
    });

    it.each(['ftp://example.com', 'localhost:12111', 'not a url', 'javascript:alert(1)'])('refuses %p', (url) => {
      expect(problems({ STRIPE_API_BASE_URL: url })).toEqual(['STRIPE_API_BASE_URL: must be an absolute http(s) URL']);
    });
  });

  describe('DEV_SECRETS_FILE', () => {
    it.each([
      ['', './.data/dev-secrets.json'],
      ['  ', './.data/dev-secrets.json'],
      ['secrets/dev.json', 'secrets/dev.json'],
      ['/run/dev/secrets.json', '/run/dev/secrets.json'],
    ])('reads %p as %p', (value, expected) => {
      expect(environmentSchema.parse({ DEV_SECRETS_FILE: value }).DEV_SECRETS_FILE).toBe(expected);
    });

    it.each(['./.data/', '/run/dev/'])('refuses the folder %p', (value) => {
      expect(problems({ DEV_SECRETS_FILE: value })).toEqual(['DEV_SECRETS_FILE: must be a file path, not a folder']);
    });
  });

  describe('PUBLIC_BASE_URL', () => {
    it.each(['http://192.168.1.20:3000', 'https://billing.example.com/base/'])('accepts %p', (url) => {
      expect(environmentSchema.parse({ PUBLIC_BASE_URL: url }).PUBLIC_BASE_URL).toBe(url);
    });

    it.each(['ftp://billing.example.com', 'billing.example.com', '/base'])('refuses %p', (url) => {
      expect(problems({ PUBLIC_BASE_URL: url })).toEqual(['PUBLIC_BASE_URL: must be an absolute http(s) URL']);
    });
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['', undefined],
      ['false', false],
      ['0', false],
      ['1', 1],
      ['2', 2],
      ['loopback', ['loopback']],
      ['10.0.0.0/8, 192.168.1.7,uniquelocal', ['10.0.0.0/8', '192.168.1.7', 'uniquelocal']],
      ['fd00::/8,::1', ['fd00::/8', '::1']],
    ])('reads %p as %p', (raw, value) => {
      expect(environmentSchema.parse({ TRUST_PROXY: raw }).TRUST_PROXY).toEqual(value);
    });

    // "true" would believe any client's X-Forwarded-For, letting it pick the address its requests are counted under.
    it.each(['true', 'yes', '10.0.0.0/33', '::1/129', '10.0.0.1/', 'loopback,', 'example.com', '-1'])(
      'refuses %p',
      (raw) => {
        expect(problems({ TRUST_PROXY: raw })).toEqual([
          'TRUST_PROXY: must be false, a number of proxy hops, or comma-separated proxy addresses, CIDR ranges or loopback/linklocal/uniquelocal',
        ]);
      },
    );
  });

  describe('rate limit storage', () => {
    it.each(['redis://127.0.0.1:6379', 'rediss://user:secret@cache.example.com:6380/2'])(
      'accepts REDIS_URL %p',
      (url) => {
        expect(environmentSchema.parse({ REDIS_URL: url }).REDIS_URL).toBe(url);
      },
    );

    it.each(['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis:secret'])(
      'refuses REDIS_URL %p without echoing it',
      (url) => {
        expect(problems({ REDIS_URL: url })).toEqual(['REDIS_URL: must be a redis:// or rediss:// URL']);
      },
    );

    it('treats a blank REDIS_URL as unset', () => {
      expect(environmentSchema.parse({ REDIS_URL: ' ' }).REDIS_URL).toBeUndefined();
    });

    it('defaults the key prefix and refuses one with spaces or over 64 characters', () => {
      expect(environmentSchema.parse({ RATE_LIMIT_KEY_PREFIX: '' }).RATE_LIMIT_KEY_PREFIX).toBe('rate-limit');
      expect(environmentSchema.parse({ RATE_LIMIT_KEY_PREFIX: 'billing:rl' }).RATE_LIMIT_KEY_PREFIX).toBe('billing:rl');
      for (const prefix of ['a b', 'x'.repeat(65)]) {
        expect(problems({ RATE_LIMIT_KEY_PREFIX: prefix })).toEqual([
          'RATE_LIMIT_KEY_PREFIX: must be 1 to 64 letters, digits or : _ . -',
        ]);
      }
    });
  });

  describe('METRICS_TOKEN', () => {
    it('accepts a token of 16 characters or more, and treats a blank one as unset', () => {
      expect(environmentSchema.parse({ METRICS_TOKEN: 'm'.repeat(16) }).METRICS_TOKEN).toBe('m'.repeat(16));
      expect(environmentSchema.parse({ METRICS_TOKEN: ' ' }).METRICS_TOKEN).toBeUndefined();
    });

    it('refuses a token of 15 characters, without echoing it', () => {
      expect(problems({ METRICS_TOKEN: 'scrape'.padEnd(15, 'x') })).toEqual([
        'METRICS_TOKEN: must be at least 16 characters',
      ]);
    });
  });

  it('reports every bad variable at once', () => {
    expect(problems({ PORT: 'abc', STRIPE_TIMEOUT_MS: '-1', SECRETS_ENCRYPTION_KEY: 'short' })).toEqual([
      'PORT: Invalid input: expected number, received NaN',
      'SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded',
      'STRIPE_TIMEOUT_MS: Too small: expected number to be >0',
    ]);
  });
});

describe('AppConfig', () => {
  it('groups the defaults', () => {
    const config = configWith({});
    expect(config.production).toBe(false);
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: 3000,
      trustProxy: false,
      behindTls: false,
      requestTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 10_000,
    });
    expect(config.logLevel).toBe('log');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './.data', migrateOnStart: true });
    expect(config.embeddedDataDir).toBe('./.data');
    expect(config.jwt).toEqual({
      secret: undefined,
      publicKey: undefined,
      issuer: undefined,
      audience: undefined,
      clockToleranceSeconds: 30,
    });
    expect(config.secrets.currentKey.equals(Buffer.from(KEY, 'base64'))).toBe(true);
    expect(config.secrets.previousKeys).toEqual([]);
    expect(config.stripe).toEqual({
      apiBaseUrl: undefined,
      timeoutMs: 10_000,
      maxNetworkRetries: 2,
      clientCacheSize: 1000,
      maxInFlightPerProject: 20,
    });
    expect(config.rateLimit).toEqual({
      userPerMinute: 60,
      ipPerMinute: 300,
      configWritesPerMinute: 30,
      keyPrefix: 'rate-limit',
      redisUrl: undefined,
      redisBackoffMs: 5000,
    });
  });

  it('carries the rate limits, the Redis URL and the trusted proxies', () => {
    const config = configWith({
      RATE_LIMIT_USER_PER_MINUTE: '3',
      RATE_LIMIT_IP_PER_MINUTE: '9',
      RATE_LIMIT_CONFIG_PER_MINUTE: '4',
      RATE_LIMIT_KEY_PREFIX: 'replica-set-a',
      REDIS_URL: 'redis://cache:6379/1',
      RATE_LIMIT_REDIS_BACKOFF_MS: '2500',
      TRUST_PROXY: '1',
    });
    expect(config.rateLimit).toEqual({
      userPerMinute: 3,
      ipPerMinute: 9,
      configWritesPerMinute: 4,
      keyPrefix: 'replica-set-a',
      redisUrl: 'redis://cache:6379/1',
      redisBackoffMs: 2500,
    });
    expect(config.http.trustProxy).toBe(1);
    expect(config.metrics).toEqual({ token: undefined });
  });

  it.each([
    ['https://billing.example.com/', true, 'https://billing.example.com'],
    ['HTTPS://billing.example.com', true, 'HTTPS://billing.example.com'],
    ['http://192.168.1.20:3000', false, 'http://192.168.1.20:3000'],
  ])('knows from PUBLIC_BASE_URL=%p whether browsers reach it over TLS', (url, behindTls, publicBaseUrl) => {
    const config = configWith({ PUBLIC_BASE_URL: url });
    expect(config.http.behindTls).toBe(behindTls);
    expect(config.publicBaseUrl).toBe(publicBaseUrl);
  });

  it('selects postgres when DATABASE_URL is set', () => {
    const config = configWith({
      DATABASE_URL: 'postgresql://app@db:5432/app',
      DATABASE_POOL_SIZE: '5',
      DATABASE_QUERY_TIMEOUT_MS: '2000',
      MIGRATE_ON_START: 'false',
      PGLITE_DATA_DIR: '/var/lib/ignored',
    });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgresql://app@db:5432/app',
      poolSize: 5,
      queryTimeoutMs: 2000,
      migrateOnStart: false,
    });
    expect(config.embeddedDataDir).toBeUndefined();
  });

  it('keeps an in-memory database off disk', () => {
    const config = configWith({ PGLITE_DATA_DIR: 'memory://' });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: 'memory://', migrateOnStart: true });
    expect(config.embeddedDataDir).toBeUndefined();
  });

  it('is production only for NODE_ENV=production', () => {
    expect(configWith({ NODE_ENV: 'production' }).production).toBe(true);
    expect(configWith({ NODE_ENV: 'test' }).production).toBe(false);
    expect(configWith({ NODE_ENV: 'development' }).production).toBe(false);
  });

  it('decodes the current and previous keys', () => {
    const config = configWith({ SECRETS_ENCRYPTION_PREVIOUS_KEYS: `${PREVIOUS_KEY_1},${PREVIOUS_KEY_2}` });
    expect(config.secrets.previousKeys).toHaveLength(2);
    expect(config.secrets.previousKeys[0].equals(Buffer.alloc(32, 2))).toBe(true);
    expect(config.secrets.previousKeys[1].equals(Buffer.alloc(32, 3))).toBe(true);
    expect(config.secrets.currentKey.equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it('carries METRICS_TOKEN', () => {
    expect(configWith({ METRICS_TOKEN: 'scrape-token-0123456789' }).metrics).toEqual({
      token: 'scrape-token-0123456789',
    });
  });

  it('parses STRIPE_API_BASE_URL into a URL', () => {
    const config = configWith({ STRIPE_API_BASE_URL: 'http://localhost:12111' });
    expect(config.stripe.apiBaseUrl).toBeInstanceOf(URL);
    expect(config.stripe.apiBaseUrl?.hostname).toBe('localhost');
    expect(config.stripe.apiBaseUrl?.port).toBe('12111');
    expect(config.stripe.apiBaseUrl?.protocol).toBe('http:');
  });

  it('uses generated secrets only where the environment has none', () => {
    const generatedKey = Buffer.alloc(32, 9).toString('base64');
    const generated = { jwtSecret: 'g'.repeat(64), encryptionKey: generatedKey };

    const fromGenerated = new AppConfig(environmentSchema.parse({}), generated);
    expect(fromGenerated.jwt.secret).toBe('g'.repeat(64));
    expect(fromGenerated.secrets.currentKey.equals(Buffer.alloc(32, 9))).toBe(true);

    const fromEnv = new AppConfig(environmentSchema.parse({ JWT_SECRET, SECRETS_ENCRYPTION_KEY: KEY }), generated);
    expect(fromEnv.jwt.secret).toBe(JWT_SECRET);
    expect(fromEnv.secrets.currentKey.equals(Buffer.alloc(32, 1))).toBe(true);

    const withPublicKey = new AppConfig(environmentSchema.parse({ JWT_PUBLIC_KEY: PUBLIC_KEY }), generated);
    expect(withPublicKey.jwt.secret).toBeUndefined();
    expect(withPublicKey.jwt.publicKey).toBe(PUBLIC_KEY);
  });

  it('refuses to start without an encryption key', () => {
    let caught: unknown;
    try {
      new AppConfig(environmentSchema.parse({}));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).problems).toEqual(['SECRETS_ENCRYPTION_KEY: required']);
  });
});

describe('ConfigurationError', () => {
  it('lists every problem in its message', () => {
    const error = new ConfigurationError(['PORT: bad', 'HOST: worse']);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigurationError');
    expect(error.problems).toEqual(['PORT: bad', 'HOST: worse']);
    expect(error.message).toBe('Invalid configuration:\n  - PORT: bad\n  - HOST: worse');
  });
});
