import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppConfig, ConfigurationError, environmentSchema, type Environment } from './app-config.js';

interface DevSecrets {
  jwtSecret: string;
  encryptionKey: string;
}

export interface LoadConfigOptions {
  /** Called once when development secrets are generated or reused (never with the secrets themselves). */
  warn?: (message: string) => void;
}

/** Validates the environment once; every bad variable is named in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): AppConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const values = parsed.data;
  const missing = missingSecrets(values);
  if (missing.length === 0) return new AppConfig(values);
  if (values.NODE_ENV === 'production') {
    throw new ConfigurationError(missing.map((name) => `${name}: required when NODE_ENV=production`));
  }
  const file = devSecretsFile(values);
  const secrets = readOrCreateDevSecrets(file);
  options.warn?.(
    `Using development secrets from ${file} for ${missing.join(', ')}; set them in the environment for production.`,
  );
  return new AppConfig(values, secrets);
}

function missingSecrets(values: Environment): string[] {
  const missing: string[] = [];
  if (!values.JWT_SECRET && !values.JWT_PUBLIC_KEY) missing.push('JWT_SECRET');
  if (!values.SECRETS_ENCRYPTION_KEY) missing.push('SECRETS_ENCRYPTION_KEY');
  return missing;
}

function devSecretsFile(values: Environment): string {
  const embeddedOnDisk = !values.DATABASE_URL && values.PGLITE_DATA_DIR !== 'memory://';
  return embeddedOnDisk ? resolve(values.PGLITE_DATA_DIR, 'dev-secrets.json') : resolve('.dev-secrets');
}

function readOrCreateDevSecrets(file: string): DevSecrets {
  if (existsSync(file)) {
    const stored = parseDevSecrets(readFileSync(file, 'utf8'));
    if (stored) return stored;
    throw new ConfigurationError([`${file}: unreadable development secrets file; delete it to regenerate`]);
  }
  const secrets: DevSecrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    encryptionKey: randomBytes(32).toString('base64'),
  };
  mkdirSync(dirname(file), { recursive: true });
  // 'wx' keeps a concurrent first start from overwriting the secrets another process just wrote.
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateDevSecrets(file);
    throw error;
  }
  chmodSync(file, 0o600);
  return secrets;
}

/**
 * The stored secrets when the file holds usable ones. Never lets JSON.parse's error escape: its message quotes the
 * file's content, i.e. the secrets.
 */
function parseDevSecrets(content: string): DevSecrets | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { jwtSecret, encryptionKey } = stored as Partial<Record<keyof DevSecrets, unknown>>;
  if (typeof jwtSecret !== 'string' || typeof encryptionKey !== 'string') return undefined;
  // The same rules as the environment variables they stand in for.
  const checked = environmentSchema
    .pick({ JWT_SECRET: true, SECRETS_ENCRYPTION_KEY: true })
    .safeParse({ JWT_SECRET: jwtSecret, SECRETS_ENCRYPTION_KEY: encryptionKey });
  if (!checked.success || !checked.data.JWT_SECRET || !checked.data.SECRETS_ENCRYPTION_KEY) return undefined;
  return { jwtSecret, encryptionKey };
}
