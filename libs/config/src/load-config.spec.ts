import { jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, ConfigurationError, loadConfig } from './index.js';

const KEY = Buffer.alloc(32, 1).toString('base64');
const JWT_SECRET = 'a-development-jwt-secret-of-40-chars!!!!';

interface StoredSecrets {
  jwtSecret: string;
  encryptionKey: string;
}

function configurationError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

function readSecrets(file: string): StoredSecrets {
  return JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets;
}

/** Every form a leaked secret could take in a log line. */
function encodingsOf(secrets: StoredSecrets): string[] {
  const key = Buffer.from(secrets.encryptionKey, 'base64');
  return [secrets.jwtSecret, secrets.encryptionKey, key.toString('hex'), key.toString('base64url')];
}

describe('loadConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'load-config-')));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with every secret in the environment', () => {
    it('applies the defaults and writes nothing', () => {
      const warn = jest.fn();
      const config = loadConfig({ JWT_SECRET, SECRETS_ENCRYPTION_KEY: KEY, PGLITE_DATA_DIR: dir }, { warn });
      expect(config).toBeInstanceOf(AppConfig);
      expect(config.http.port).toBe(3000);
      expect(config.stripe.timeoutMs).toBe(10_000);
      expect(config.database).toEqual({ kind: 'pglite', dataDir: dir, migrateOnStart: true });
      expect(config.jwt.secret).toBe(JWT_SECRET);
      expect(config.secrets.currentKey.equals(Buffer.alloc(32, 1))).toBe(true);
      expect(warn).not.toHaveBeenCalled();
      expect(readdirSync(dir)).toEqual([]);
    });

    it('defaults PGLITE_DATA_DIR to ./.data', () => {
      const config = loadConfig({ JWT_SECRET, SECRETS_ENCRYPTION_KEY: KEY });
      expect(config.database).toEqual({ kind: 'pglite', dataDir: './.data', migrateOnStart: true });
    });

    it('selects postgres when DATABASE_URL is set', () => {
      const config = loadConfig({
        JWT_SECRET,
        SECRETS_ENCRYPTION_KEY: KEY,
        DATABASE_URL: 'postgres://app:pw@localhost:5432/app',
      });
      expect(config.database).toEqual({
        kind: 'postgres',
        url: 'postgres://app:pw@localhost:5432/app',
        poolSize: 10,
        migrateOnStart: true,
      });
    });

    it('reads previous encryption keys', () => {
      const previous = [Buffer.alloc(32, 5).toString('base64'), Buffer.alloc(32, 6).toString('base64')];
      const config = loadConfig({
        JWT_SECRET,
        SECRETS_ENCRYPTION_KEY: KEY,
        SECRETS_ENCRYPTION_PREVIOUS_KEYS: previous.join(','),
      });
      expect(config.secrets.previousKeys.map((key) => key.toString('base64'))).toEqual(previous);
    });

    it('needs no JWT_SECRET when JWT_PUBLIC_KEY is set, even in production', () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        JWT_PUBLIC_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
        SECRETS_ENCRYPTION_KEY: KEY,
        PGLITE_DATA_DIR: dir,
      });
      expect(config.production).toBe(true);
      expect(config.jwt.secret).toBeUndefined();
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  describe('invalid environment', () => {
    it('throws ONE ConfigurationError naming each bad variable', () => {
      const error = configurationError(() =>
        loadConfig({ PORT: 'abc', STRIPE_TIMEOUT_MS: '-1', SECRETS_ENCRYPTION_KEY: 'short', PGLITE_DATA_DIR: dir }),
      );
      expect(error.problems).toEqual([
        'PORT: Invalid input: expected number, received NaN',
        'SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded',
        'STRIPE_TIMEOUT_MS: Too small: expected number to be >0',
      ]);
      expect(error.message).toBe(
        'Invalid configuration:\n' +
          '  - PORT: Invalid input: expected number, received NaN\n' +
          '  - SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded\n' +
          '  - STRIPE_TIMEOUT_MS: Too small: expected number to be >0',
      );
    });

    it('does not echo secret values in the error', () => {
      const shortSecret = 'hunter2-is-not-long-enough';
      const error = configurationError(() =>
        loadConfig({
          JWT_SECRET: shortSecret,
          SECRETS_ENCRYPTION_KEY: 'c2VjcmV0LWtleS1tYXRlcmlhbA==',
          DATABASE_URL: 'mysql://root:db-password@db/app',
        }),
      );
      expect(error.problems).toEqual([
        'DATABASE_URL: must be a postgresql:// URL',
        'JWT_SECRET: must be at least 32 characters',
        'SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded',
      ]);
      expect(error.message).not.toContain(shortSecret);
      expect(error.message).not.toContain('c2VjcmV0LWtleS1tYXRlcmlhbA');
      expect(error.message).not.toContain('db-password');
    });

    it('refuses a JWT_SECRET shorter than 32 characters', () => {
      const error = configurationError(() =>
        loadConfig({ JWT_SECRET: 'x'.repeat(31), SECRETS_ENCRYPTION_KEY: KEY, PGLITE_DATA_DIR: dir }),
      );
      expect(error.problems).toEqual(['JWT_SECRET: must be at least 32 characters']);
      expect(loadConfig({ JWT_SECRET: 'x'.repeat(32), SECRETS_ENCRYPTION_KEY: KEY }).jwt.secret).toBe('x'.repeat(32));
    });

    it('writes no development secrets when the environment is invalid', () => {
      configurationError(() => loadConfig({ PORT: '70000', PGLITE_DATA_DIR: dir }));
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  describe('production', () => {
    it('refuses to start without JWT_SECRET/JWT_PUBLIC_KEY and SECRETS_ENCRYPTION_KEY, naming both', () => {
      const warn = jest.fn();
      const error = configurationError(() => loadConfig({ NODE_ENV: 'production', PGLITE_DATA_DIR: dir }, { warn }));
      expect(error.problems).toEqual([
        'JWT_SECRET: required when NODE_ENV=production',
        'SECRETS_ENCRYPTION_KEY: required when NODE_ENV=production',
      ]);
      expect(warn).not.toHaveBeenCalled();
      expect(readdirSync(dir)).toEqual([]);
    });

    it('names only the missing one', () => {
      expect(
        configurationError(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET, PGLITE_DATA_DIR: dir })).problems,
      ).toEqual(['SECRETS_ENCRYPTION_KEY: required when NODE_ENV=production']);
      expect(
        configurationError(() =>
          loadConfig({ NODE_ENV: 'production', SECRETS_ENCRYPTION_KEY: KEY, PGLITE_DATA_DIR: dir }),
        ).problems,
      ).toEqual(['JWT_SECRET: required when NODE_ENV=production']);
    });

    it('never reuses development secrets, even when a file exists', () => {
      loadConfig({ PGLITE_DATA_DIR: dir });
      expect(existsSync(join(dir, 'dev-secrets.json'))).toBe(true);
      expect(
        configurationError(() => loadConfig({ NODE_ENV: 'production', PGLITE_DATA_DIR: dir })).problems,
      ).toHaveLength(2);
    });
  });

  describe('development secrets', () => {
    it('generates them in <PGLITE_DATA_DIR>/dev-secrets.json with mode 0600', () => {
      const dataDir = join(dir, 'nested', 'data');
      const warn = jest.fn<(message: string) => void>();
      const config = loadConfig({ PGLITE_DATA_DIR: dataDir }, { warn });

      const file = join(dataDir, 'dev-secrets.json');
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const stored = readSecrets(file);
      expect(Object.keys(stored).sort()).toEqual(['encryptionKey', 'jwtSecret']);
      expect(stored.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(Buffer.from(stored.encryptionKey, 'base64')).toHaveLength(32);

      expect(config.jwt.secret).toBe(stored.jwtSecret);
      expect(config.secrets.currentKey.toString('base64')).toBe(stored.encryptionKey);
    });

    it('warns once, naming the variables and the file but not the secrets', () => {
      const warn = jest.fn<(message: string) => void>();
      loadConfig({ PGLITE_DATA_DIR: dir }, { warn });
      const file = join(dir, 'dev-secrets.json');
      expect(warn).toHaveBeenCalledTimes(1);
      const message = warn.mock.calls[0][0];
      expect(message).toBe(
        `Using development secrets from ${file} for JWT_SECRET, SECRETS_ENCRYPTION_KEY; set them in the environment for production.`,
      );
      for (const leaked of encodingsOf(readSecrets(file))) expect(message).not.toContain(leaked);
    });

    it('names only the variable it stands in for', () => {
      const warn = jest.fn<(message: string) => void>();
      const config = loadConfig({ PGLITE_DATA_DIR: dir, JWT_SECRET }, { warn });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain(' for SECRETS_ENCRYPTION_KEY;');
      expect(warn.mock.calls[0][0]).not.toContain('JWT_SECRET');
      // The environment's JWT secret wins over the generated one.
      expect(config.jwt.secret).toBe(JWT_SECRET);
      expect(config.jwt.secret).not.toBe(readSecrets(join(dir, 'dev-secrets.json')).jwtSecret);
    });

    it('uses the environment key over a generated one', () => {
      const config = loadConfig({ PGLITE_DATA_DIR: dir, SECRETS_ENCRYPTION_KEY: KEY });
      expect(config.secrets.currentKey.equals(Buffer.alloc(32, 1))).toBe(true);
      expect(config.jwt.secret).toBe(readSecrets(join(dir, 'dev-secrets.json')).jwtSecret);
    });

    it('works without a warn callback', () => {
      expect(loadConfig({ PGLITE_DATA_DIR: dir })).toBeInstanceOf(AppConfig);
      expect(existsSync(join(dir, 'dev-secrets.json'))).toBe(true);
    });

    it('reuses the same secrets on a second load, leaving the file unchanged', () => {
      const file = join(dir, 'dev-secrets.json');
      const first = loadConfig({ PGLITE_DATA_DIR: dir });
      const content = readFileSync(file, 'utf8');
      const warn = jest.fn<(message: string) => void>();
      const second = loadConfig({ PGLITE_DATA_DIR: dir }, { warn });

      expect(second.jwt.secret).toBe(first.jwt.secret);
      expect(second.secrets.currentKey.equals(first.secrets.currentKey)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(content);
      expect(warn).toHaveBeenCalledTimes(1);
      for (const leaked of encodingsOf(readSecrets(file))) expect(warn.mock.calls[0][0]).not.toContain(leaked);
    });

    it('generates different secrets for different data directories', () => {
      const a = loadConfig({ PGLITE_DATA_DIR: join(dir, 'a') });
      const b = loadConfig({ PGLITE_DATA_DIR: join(dir, 'b') });
      expect(a.jwt.secret).not.toBe(b.jwt.secret);
      expect(a.secrets.currentKey.equals(b.secrets.currentKey)).toBe(false);
    });

    describe('outside an on-disk embedded database', () => {
      let previousCwd: string;

      beforeEach(() => {
        previousCwd = process.cwd();
        process.chdir(dir);
      });

      afterEach(() => {
        process.chdir(previousCwd);
      });

      it.each([
        ['DATABASE_URL is set', { DATABASE_URL: 'postgres://localhost/app' }],
        ['PGLITE_DATA_DIR=memory://', { PGLITE_DATA_DIR: 'memory://' }],
      ])('keeps them in .dev-secrets in the working directory when %s', (_label, env) => {
        const warn = jest.fn<(message: string) => void>();
        const first = loadConfig(env, { warn });
        const file = join(dir, '.dev-secrets');

        expect(readdirSync(dir)).toEqual(['.dev-secrets']);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        const stored = readSecrets(file);
        expect(first.jwt.secret).toBe(stored.jwtSecret);
        expect(first.secrets.currentKey.toString('base64')).toBe(stored.encryptionKey);
        expect(warn.mock.calls[0][0]).toBe(
          `Using development secrets from ${file} for JWT_SECRET, SECRETS_ENCRYPTION_KEY; set them in the environment for production.`,
        );

        const second = loadConfig(env);
        expect(second.jwt.secret).toBe(first.jwt.secret);
        expect(second.secrets.currentKey.equals(first.secrets.currentKey)).toBe(true);
      });
    });

    describe('an unusable secrets file', () => {
      const validKey = Buffer.alloc(32, 8).toString('base64');

      it.each([
        ['not JSON (whose parse error would quote it)', 'xsuper-secret-value-not-json'],
        ['truncated JSON', '{"jwtSecret": "super-secret-value'],
        ['JSON null', 'null'],
        ['a JSON string', '"super-secret-value"'],
        ['an empty file', ''],
        ['a missing key', JSON.stringify({ jwtSecret: 'super-secret-value'.repeat(3) })],
        ['a numeric secret', JSON.stringify({ jwtSecret: 12345, encryptionKey: validKey })],
        [
          'a JWT secret shorter than 32 characters',
          JSON.stringify({ jwtSecret: 'super-secret-value', encryptionKey: validKey }),
        ],
        [
          'an encryption key of the wrong size',
          JSON.stringify({ jwtSecret: 'super-secret-value'.repeat(3), encryptionKey: 'c2hvcnQ=' }),
        ],
      ])('is refused with a ConfigurationError when it holds %s, without quoting it', (_label, content) => {
        const file = join(dir, 'dev-secrets.json');
        writeFileSync(file, content, { mode: 0o600 });
        const error = configurationError(() => loadConfig({ PGLITE_DATA_DIR: dir }));
        expect(error.problems).toEqual([`${file}: unreadable development secrets file; delete it to regenerate`]);
        expect(error.message).not.toContain('super-secret-value');
        // Left for the developer to inspect, not silently overwritten.
        expect(readFileSync(file, 'utf8')).toBe(content);
      });

      it('accepts a hand-written file that follows the rules', () => {
        const file = join(dir, 'dev-secrets.json');
        writeFileSync(file, JSON.stringify({ jwtSecret: JWT_SECRET, encryptionKey: validKey }), { mode: 0o600 });
        const config = loadConfig({ PGLITE_DATA_DIR: dir });
        expect(config.jwt.secret).toBe(JWT_SECRET);
        expect(config.secrets.currentKey.equals(Buffer.alloc(32, 8))).toBe(true);
      });
    });
  });
});
