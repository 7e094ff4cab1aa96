import { jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  let previousCwd: string;
  /** DEV_SECRETS_FILE's default, ./.data/dev-secrets.json, from the working directory `dir`. */
  let secretsFile: string;

  // Relative paths (the secrets file's default and its former ./.dev-secrets) resolve inside the temporary folder.
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'load-config-')));
    secretsFile = join(dir, '.data', 'dev-secrets.json');
    previousCwd = process.cwd();
    process.chdir(dir);
  });

  afterEach(() => {
    process.chdir(previousCwd);
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
      expect(existsSync(secretsFile)).toBe(true);
      expect(
        configurationError(() => loadConfig({ NODE_ENV: 'production', PGLITE_DATA_DIR: dir })).problems,
      ).toHaveLength(2);
    });
  });

  describe('development secrets', () => {
    const WARNING_END = 'for JWT_SECRET, SECRETS_ENCRYPTION_KEY; set them in the environment for production.';

    it('generates them in ./.data/dev-secrets.json with mode 0600', () => {
      const warn = jest.fn<(message: string) => void>();
      const config = loadConfig({}, { warn });

      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      const stored = readSecrets(secretsFile);
      expect(Object.keys(stored).sort()).toEqual(['encryptionKey', 'jwtSecret']);
      expect(stored.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(Buffer.from(stored.encryptionKey, 'base64')).toHaveLength(32);

      expect(config.jwt.secret).toBe(stored.jwtSecret);
      expect(config.secrets.currentKey.toString('base64')).toBe(stored.encryptionKey);
      expect(config.secrets.previousKeys).toEqual([]);
      expect(readdirSync(dir)).toEqual(['.data']);
    });

    // A token minted by the CLI without the service's variables must verify in the service.
    it('uses that one file whatever the database', () => {
      const first = loadConfig({});
      for (const env of [
        { DATABASE_URL: 'postgres://localhost/app' },
        { PGLITE_DATA_DIR: 'memory://' },
        { PGLITE_DATA_DIR: join(dir, 'elsewhere') },
      ]) {
        const warn = jest.fn<(message: string) => void>();
        const config = loadConfig(env, { warn });
        expect(config.jwt.secret).toBe(first.jwt.secret);
        expect(config.secrets.currentKey.equals(first.secrets.currentKey)).toBe(true);
        expect(warn.mock.calls).toEqual([[`Using development secrets from ${secretsFile} ${WARNING_END}`]]);
      }
      expect(readdirSync(dir)).toEqual(['.data']);
      expect(readdirSync(join(dir, '.data'))).toEqual(['dev-secrets.json']);
    });

    it('warns once, naming the variables and the file but not the secrets', () => {
      const warn = jest.fn<(message: string) => void>();
      loadConfig({}, { warn });
      expect(warn).toHaveBeenCalledTimes(1);
      const message = warn.mock.calls[0][0];
      expect(message).toBe(`Using development secrets from ${secretsFile} ${WARNING_END}`);
      for (const leaked of encodingsOf(readSecrets(secretsFile))) expect(message).not.toContain(leaked);
    });

    it('names only the variable it stands in for', () => {
      const warn = jest.fn<(message: string) => void>();
      const config = loadConfig({ JWT_SECRET }, { warn });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain(' for SECRETS_ENCRYPTION_KEY;');
      expect(warn.mock.calls[0][0]).not.toContain('JWT_SECRET');
      // The environment's JWT secret wins over the generated one.
      expect(config.jwt.secret).toBe(JWT_SECRET);
      expect(config.jwt.secret).not.toBe(readSecrets(secretsFile).jwtSecret);
    });

    it('uses the environment key over a generated one', () => {
      const config = loadConfig({ SECRETS_ENCRYPTION_KEY: KEY });
      expect(config.secrets.currentKey.equals(Buffer.alloc(32, 1))).toBe(true);
      expect(config.jwt.secret).toBe(readSecrets(secretsFile).jwtSecret);
    });

    it('works without a warn callback', () => {
      expect(loadConfig({})).toBeInstanceOf(AppConfig);
      expect(existsSync(secretsFile)).toBe(true);
    });

    it('reuses the same secrets on a second load, leaving the file unchanged', () => {
      const first = loadConfig({});
      const content = readFileSync(secretsFile, 'utf8');
      const warn = jest.fn<(message: string) => void>();
      const second = loadConfig({}, { warn });

      expect(second.jwt.secret).toBe(first.jwt.secret);
      expect(second.secrets.currentKey.equals(first.secrets.currentKey)).toBe(true);
      expect(readFileSync(secretsFile, 'utf8')).toBe(content);
      expect(warn).toHaveBeenCalledTimes(1);
      for (const leaked of encodingsOf(readSecrets(secretsFile))) expect(warn.mock.calls[0][0]).not.toContain(leaked);
    });

    it.each([
      ['relative to the working directory', false],
      ['absolute', true],
    ])('keeps them in DEV_SECRETS_FILE (%s) instead', (_label, absolute) => {
      const file = join(dir, 'secrets', 'dev.json');
      const warn = jest.fn<(message: string) => void>();
      const config = loadConfig({ DEV_SECRETS_FILE: absolute ? file : 'secrets/dev.json' }, { warn });
      expect(warn.mock.calls).toEqual([[`Using development secrets from ${file} ${WARNING_END}`]]);
      expect(config.jwt.secret).toBe(readSecrets(file).jwtSecret);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(existsSync(secretsFile)).toBe(false);
      // Another file, other secrets.
      expect(loadConfig({}).jwt.secret).not.toBe(config.jwt.secret);
    });

    describe('a file at a former location (./.dev-secrets, <PGLITE_DATA_DIR>/dev-secrets.json)', () => {
      const former = { jwtSecret: JWT_SECRET, encryptionKey: Buffer.alloc(32, 4).toString('base64') };
      const formerContent = JSON.stringify(former, null, 2) + '\n';

      it.each([
        ['.dev-secrets', 'DATABASE_URL is set', { DATABASE_URL: 'postgres://localhost/app' }],
        ['.dev-secrets', 'PGLITE_DATA_DIR=memory://', { PGLITE_DATA_DIR: 'memory://' }],
        // The CLI run without the service's DATABASE_URL, as the README's walk-through does.
        ['.dev-secrets', 'no database variable is set', {}],
        ['pgdata/dev-secrets.json', 'PGLITE_DATA_DIR=./pgdata', { PGLITE_DATA_DIR: './pgdata' }],
      ])('is moved from %s to the one file when %s, and says so', (formerPath, _label, env) => {
        const formerFile = join(dir, formerPath);
        mkdirSync(dirname(formerFile), { recursive: true });
        writeFileSync(formerFile, formerContent, { mode: 0o600 });
        const warn = jest.fn<(message: string) => void>();

        const config = loadConfig(env, { warn });

        expect(warn.mock.calls).toEqual([
          [`Using development secrets from ${secretsFile} (moved there from ${formerFile}) ${WARNING_END}`],
        ]);
        // Its key still decrypts what it encrypted: it is the current key now.
        expect(config.secrets.currentKey.toString('base64')).toBe(former.encryptionKey);
        expect(config.jwt.secret).toBe(JWT_SECRET);
        expect(existsSync(formerFile)).toBe(false);
        expect(readFileSync(secretsFile, 'utf8')).toBe(formerContent);
        expect(statSync(secretsFile).mode & 0o777).toBe(0o600);

        const again = jest.fn<(message: string) => void>();
        expect(loadConfig(env, { warn: again }).secrets.currentKey.toString('base64')).toBe(former.encryptionKey);
        expect(again.mock.calls).toEqual([[`Using development secrets from ${secretsFile} ${WARNING_END}`]]);
      });

      it('keeps decrypting with its key when the one file exists too, and says how to finish', () => {
        const current = loadConfig({});
        const formerFile = join(dir, '.dev-secrets');
        writeFileSync(formerFile, formerContent, { mode: 0o600 });
        const warn = jest.fn<(message: string) => void>();

        const config = loadConfig({ DATABASE_URL: 'postgres://localhost/app' }, { warn });

        expect(config.jwt.secret).toBe(current.jwt.secret);
        expect(config.secrets.currentKey.equals(current.secrets.currentKey)).toBe(true);
        expect(config.secrets.previousKeys.map((key) => key.toString('base64'))).toEqual([former.encryptionKey]);
        expect(warn.mock.calls).toEqual([
          [
            `Using development secrets from ${secretsFile} for JWT_SECRET, SECRETS_ENCRYPTION_KEY; the encryption ` +
              `key in ${formerFile} (their former location) still decrypts what it encrypted: run ` +
              '`npm run -s cli -- secrets reencrypt`, then delete that file; set them in the environment for production.',
          ],
        ]);
        for (const leaked of [...encodingsOf(former), ...encodingsOf(readSecrets(secretsFile))]) {
          expect(warn.mock.calls[0][0]).not.toContain(leaked);
        }
        expect(readFileSync(formerFile, 'utf8')).toBe(formerContent);
      });

      it('adds no key when the environment sets SECRETS_ENCRYPTION_KEY or the former file holds the same one', () => {
        loadConfig({});
        const formerFile = join(dir, '.dev-secrets');
        writeFileSync(formerFile, formerContent, { mode: 0o600 });
        const withKey = loadConfig({ SECRETS_ENCRYPTION_KEY: KEY });
        expect(withKey.secrets.previousKeys).toEqual([]);

        writeFileSync(formerFile, readFileSync(secretsFile));
        const warn = jest.fn<(message: string) => void>();
        expect(loadConfig({}, { warn }).secrets.previousKeys).toEqual([]);
        expect(warn.mock.calls).toEqual([[`Using development secrets from ${secretsFile} ${WARNING_END}`]]);
      });

      it('is refused, naming it, when unreadable; nothing is written', () => {
        const formerFile = join(dir, '.dev-secrets');
        writeFileSync(formerFile, 'xsuper-secret-value-not-json', { mode: 0o600 });
        const error = configurationError(() => loadConfig({ DATABASE_URL: 'postgres://localhost/app' }));
        expect(error.problems).toEqual([`${formerFile}: unreadable development secrets file; delete it to regenerate`]);
        expect(error.message).not.toContain('super-secret-value');
        expect(readdirSync(dir)).toEqual(['.dev-secrets']);
      });
    });

    describe('an unusable secrets file', () => {
      const validKey = Buffer.alloc(32, 8).toString('base64');

      beforeEach(() => mkdirSync(dirname(secretsFile), { recursive: true }));

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
        writeFileSync(secretsFile, content, { mode: 0o600 });
        const error = configurationError(() => loadConfig({}));
        expect(error.problems).toEqual([
          `${secretsFile}: unreadable development secrets file; delete it to regenerate`,
        ]);
        expect(error.message).not.toContain('super-secret-value');
        // Left for the developer to inspect, not silently overwritten.
        expect(readFileSync(secretsFile, 'utf8')).toBe(content);
      });

      it('accepts a hand-written file that follows the rules', () => {
        writeFileSync(secretsFile, JSON.stringify({ jwtSecret: JWT_SECRET, encryptionKey: validKey }), { mode: 0o600 });
        const config = loadConfig({});
        expect(config.jwt.secret).toBe(JWT_SECRET);
        expect(config.secrets.currentKey.equals(Buffer.alloc(32, 8))).toBe(true);
      });
    });
  });
});
