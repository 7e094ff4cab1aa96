import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const file = resolve(values.DEV_SECRETS_FILE);
  const { secrets, movedFrom, stillDecrypting } = developmentSecrets(file, formerDevSecretsFiles(values, file));
  // A former file's key matters only while the generated key is the one in use.
  const former = missing.includes('SECRETS_ENCRYPTION_KEY') ? stillDecrypting : [];
  const origin = movedFrom ? ` (moved there from ${movedFrom})` : '';
  const formerNotes = former.map(
    (entry) =>
      `; the encryption key in ${entry.file} (their former location) still decrypts what it encrypted: ` +
      'run `npm run -s cli -- secrets reencrypt`, then delete that file',
  );
  options.warn?.(
    `Using development secrets from ${file}${origin} for ${missing.join(', ')}${formerNotes.join('')}; ` +
      'set them in the environment for production.',
  );
  return new AppConfig(values, {
    ...secrets,
    formerEncryptionKeys: former.map((entry) => entry.secrets.encryptionKey),
  });
}

function missingSecrets(values: Environment): string[] {
  const missing: string[] = [];
  if (!values.JWT_SECRET && !values.JWT_PUBLIC_KEY) missing.push('JWT_SECRET');
  if (!values.SECRETS_ENCRYPTION_KEY) missing.push('SECRETS_ENCRYPTION_KEY');
  return missing;
}

/**
 * Where development secrets were kept before DEV_SECRETS_FILE: beside an on-disk PGlite database, otherwise
 * `./.dev-secrets`. The latter is always looked at, so a command run without DATABASE_URL still finds them.
 */
function formerDevSecretsFiles(values: Environment, file: string): string[] {
  const embeddedOnDisk = !values.DATABASE_URL && values.PGLITE_DATA_DIR !== 'memory://';
  const candidates = [
    embeddedOnDisk ? resolve(values.PGLITE_DATA_DIR, 'dev-secrets.json') : resolve('.dev-secrets'),
    resolve('.dev-secrets'),
  ];
  return [...new Set(candidates)].filter((candidate) => candidate !== file);
}

interface FormerSecrets {
  file: string;
  secrets: DevSecrets;
}

/**
 * The secrets in `file`: moved there from the first former file that exists when `file` does not, else generated.
 * Former files left with another encryption key come back too: data stored with them is encrypted under it.
 */
function developmentSecrets(
  file: string,
  formerFiles: string[],
): { secrets: DevSecrets; movedFrom?: string; stillDecrypting: FormerSecrets[] } {
  let movedFrom: string | undefined;
  const source = existsSync(file) ? undefined : formerFiles.find((former) => existsSync(former));
  if (source) {
    const moved = readDevSecretsFile(source);
    if (moved) {
      writeDevSecrets(file, moved);
      // Only once the new file holds these very secrets: a concurrent start may have written it first.
      if (readDevSecretsFile(file)?.encryptionKey === moved.encryptionKey) {
        rmSync(source, { force: true });
        movedFrom = source;
      }
    }
  }
  const secrets = readOrCreateDevSecrets(file);
  const stillDecrypting = formerFiles.flatMap((former): FormerSecrets[] => {
    const stored = readDevSecretsFile(former);
    return stored && stored.encryptionKey !== secrets.encryptionKey ? [{ file: former, secrets: stored }] : [];
  });
  return { secrets, movedFrom, stillDecrypting };
}

/** The secrets stored in `file`, undefined when it does not exist; an unusable file stops the start. */
function readDevSecretsFile(file: string): DevSecrets | undefined {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const stored = parseDevSecrets(content);
  if (stored) return stored;
  throw new ConfigurationError([`${file}: unreadable development secrets file; delete it to regenerate`]);
}

function readOrCreateDevSecrets(file: string): DevSecrets {
  const stored = readDevSecretsFile(file);
  if (stored) return stored;
  const secrets: DevSecrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    encryptionKey: randomBytes(32).toString('base64'),
  };
  return writeDevSecrets(file, secrets) ? secrets : readOrCreateDevSecrets(file);
}

/** Writes `secrets` to a new `file` (mode 0600); false when the file exists already. */
function writeDevSecrets(file: string, secrets: DevSecrets): boolean {
  mkdirSync(dirname(file), { recursive: true });
  // 'wx' keeps a concurrent first start from overwriting the secrets another process just wrote.
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  chmodSync(file, 0o600);
  return true;
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
