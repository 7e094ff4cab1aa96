import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { runCli } from '../apps/cli/src/run-cli.js';
import {
  createCliDatabase,
  failure,
  jsonOutput,
  openPglite,
  pgliteOf,
  type CliDatabase,
  type CliEnv,
  type CliResult,
} from './support/cli.js';
import { StripeStub } from './support/stripe-stub.js';

/**
 * The operator CLI's commands run in this process through runCli, exactly what the compiled main.ts calls (argument
 * parsing, configuration, the Nest context, output, exit codes), on a database of its own: a temporary PGlite
 * directory, or a fresh PostgreSQL database when DATABASE_URL is set. The spawned binary: cli.system-spec.ts.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MIGRATIONS = readdirSync(join(ROOT, 'prisma', 'migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const TIMEOUT = 60_000;
const UNREACHABLE_DATABASE_URL = 'postgresql://postgres@127.0.0.1:1/none';
const BUSY = /in use by process \d+ \(is the service running\?\)/;

const newEncryptionKey = (): string => randomBytes(32).toString('base64');
const keyId = (base64Key: string): string =>
  createHash('sha256').update(Buffer.from(base64Key, 'base64')).digest('hex').slice(0, 12);

const jwtSecret = randomBytes(48).toString('base64url');
let encryptionKey = newEncryptionKey();
let previousKeys: string | undefined;
let cwd: string;
let database: CliDatabase;

/** One run with the environment an operator would set; nothing of this process's environment leaks in. */
async function cli(args: string[], overrides: CliEnv = {}): Promise<CliResult> {
  const env: CliEnv = {
    NODE_ENV: 'test',
    JWT_SECRET: jwtSecret,
    SECRETS_ENCRYPTION_KEY: encryptionKey,
    SECRETS_ENCRYPTION_PREVIOUS_KEYS: previousKeys,
    ...database.env,
    ...overrides,
  };
  const definedEnv = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, definedEnv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
  database = await createCliDatabase(join(cwd, 'data'));
}, 120_000);

afterAll(async () => {
  await database?.drop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('operator CLI (in-process)', () => {
  const ownerId = randomUUID();
  const projectId = randomUUID();
  const userId = randomUUID();
  const secretKey = `sk_test_${randomBytes(18).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(18).toString('hex')}`;
  const publishableKey = `pk_test_${randomBytes(12).toString('hex')}`;
  const rotatedKey = `sk_test_${randomBytes(18).toString('hex')}`;

  it('prints usage on stdout for help and --help', async () => {
    for (const args of [['help'], ['--help'], ['stripe', 'set', '--help']]) {
      const result = await cli(args);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: /);
      expect(result.stdout).toContain('stripe set --project <uuid> --mode test|live [--secret-key <sk_...>]');
    }
  });

  it(
    'rejects bad command lines with exit 2 and one line that names the option but never repeats its value',
    async () => {
      const secret = 'sk_live_DoNotEchoThis123';
      const cases: [string[], RegExp][] = [
        [[], /^Missing command/],
        [['projects', 'make'], /^Unknown command "projects make"/],
        [['project', 'create', '--owner', ownerId], /^--name is required$/],
        [['project', 'create', '--name', 'Demo', '--owner', 'not-a-uuid'], /^--owner must be a UUID$/],
        [['project', 'create', '--name', 'Demo', '--owner', ownerId, '--id', '1234'], /^--id must be a UUID$/],
        [['project', 'create', '--name', 'Demo', '--owner', ownerId, '--colour', 'red'], /^Unknown option '--colour'$/],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'prod', '--secret-key', secret],
          /^--mode must be test or live$/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'test'],
          /^Nothing to set: give --secret-key, --publishable-key, --webhook-secret, --portal-configuration, --allowed-return-url-origins, --allowed-price-ids, --trial-period-days or --past-due-grace-days$/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'test', '--allowed-price-ids', 'price_1,prod_2'],
          /^--allowed-price-ids item 2 must be a Stripe price id \(price_\.\.\.\)$/,
        ],
        [
          [
            'stripe',
            'set',
            '--project',
            projectId,
            '--mode',
            'test',
            '--allowed-return-url-origins',
            'https://a.example/x',
          ],
          /^--allowed-return-url-origins item 1 must be an origin like https:\/\/app\.example\.com \(no path\)$/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'test', '--trial-period-days', '731'],
          /^--trial-period-days must be a whole number from 0 to 730$/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'test', '--past-due-grace-days=-1'],
          /^--past-due-grace-days must be a whole number from 0 to 365$/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'test', '--secret-key', secret],
          /^--secret-key must start with sk_test_/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'live', `--secret-key=${secret}!`],
          /^--secret-key is not a well-formed/,
        ],
        [
          [
            'stripe',
            'set',
            '--project',
            projectId,
            '--mode',
            'test',
            '--secret-key',
            secretKey,
            '--publishable-key',
            secret,
          ],
          /^--publishable-key must start with pk_test_/,
        ],
        [
          [
            'stripe',
            'set',
            '--project',
            projectId,
            '--mode',
            'test',
            '--secret-key',
            secretKey,
            '--webhook-secret',
            secret,
          ],
          /^--webhook-secret must start with whsec_/,
        ],
        [
          [
            'stripe',
            'set',
            '--project',
            projectId,
            '--mode',
            'test',
            '--secret-key',
            secretKey,
            '--portal-configuration',
            secret,
          ],
          /^--portal-configuration must start with bpc_/,
        ],
        [
          ['stripe', 'set', '--project', projectId, '--mode', 'test', '--secret-key', secretKey, secret],
          /^Unexpected argument/,
        ],
        [
          ['customer', 'link', '--project', projectId, '--user', userId, '--mode', 'test', '--customer', 'acct_1'],
          /^--customer must be a Stripe customer id/,
        ],
        [['customer', 'unlink', '--project', projectId, '--user', 'me', '--mode', 'test'], /^--user must be a UUID$/],
        [
          ['token', 'mint', '--user', userId, '--ttl', '0'],
          /^--ttl must be a whole number of seconds from 1 to 86400$/,
        ],
        [['token', 'mint', '--user', userId, '--ttl', '86401'], /^--ttl must be/],
        [['token', 'mint', '--user', userId, '--ttl', '1.5'], /^--ttl must be/],
        [['token', 'mint', '--user'], /^Option '--user <value>' argument missing$/],
        [['db', 'migrate', '--json=yes'], /^Option '--json' does not take an argument$/],
      ];
      // Usage errors come before configuration: no database is ever opened for them.
      const results = await Promise.all(
        cases.map(([args]) =>
          cli([...args.slice(0, 2), '--json', ...args.slice(2)], { DATABASE_URL: UNREACHABLE_DATABASE_URL }),
        ),
      );
      results.forEach((result, index) => {
        const message = failure(result, 2);
        expect(message).toMatch(cases[index][1]);
        expect(message).not.toContain('DoNotEchoThis');
      });
    },
    TIMEOUT,
  );

  it(
    'exits 1 with one line for an invalid configuration',
    async () => {
      const message = failure(await cli(['secrets', 'reencrypt', '--json'], { SECRETS_ENCRYPTION_KEY: 'c2hvcnQ=' }), 1);
      expect(message).toBe('Invalid configuration: SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded');
    },
    TIMEOUT,
  );

  it(
    'db migrate applies the migrations, then nothing on a second run',
    async () => {
      expect(jsonOutput(await cli(['db', 'migrate', '--json']))).toEqual({ applied: MIGRATIONS });
      expect(jsonOutput(await cli(['db', 'migrate', '--json']))).toEqual({ applied: [] });
      const human = await cli(['db', 'migrate']);
      expect(human).toEqual({ code: 0, stdout: 'Database schema is up to date\n', stderr: '' });
      const applied = await database.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
      );
      expect(applied.map((row) => row.migration_name)).toEqual(MIGRATIONS);
    },
    TIMEOUT,
  );

  it(
    'project create stores the project and refuses an id that exists',
    async () => {
      const created = await cli([
        'project',
        'create',
        '--name',
        'Demo',
        '--owner',
        ownerId,
        '--id',
        projectId,
        '--description',
        'CLI test',
        '--json',
      ]);
      expect(jsonOutput(created)).toEqual({ id: projectId });
      expect(
        await database.query('SELECT name, owner_id, description FROM projects WHERE id = $1', [projectId]),
      ).toEqual([{ name: 'Demo', owner_id: ownerId, description: 'CLI test' }]);

      const duplicate = await cli([
        'project',
        'create',
        '--name',
        'Again',
        '--owner',
        ownerId,
        '--id',
        projectId,
        '--json',
      ]);
      expect(failure(duplicate, 1)).toBe(`Project ${projectId} already exists`);

      const generated = await cli(['project', 'create', '--name', 'Second', '--owner', ownerId]);
      expect(generated.code).toBe(0);
      const [, id] = /^Created project ([0-9a-f-]{36})\n$/.exec(generated.stdout) ?? [];
      expect(await database.query('SELECT name FROM projects WHERE id = $1', [id])).toEqual([{ name: 'Second' }]);
    },
    TIMEOUT,
  );

  it(
    'stripe set stores encrypted credentials and prints the secret key masked',
    async () => {
      const result = await cli([
        'stripe',
        'set',
        '--project',
        projectId,
        '--mode',
        'test',
        '--secret-key',
        secretKey,
        '--publishable-key',
        publishableKey,
        '--webhook-secret',
        webhookSecret,
        '--portal-configuration',
        'bpc_123abc',
        '--json',
      ]);
      expect(jsonOutput(result)).toEqual({
        project_id: projectId,
        mode: 'test',
        fields: ['test_secret_key', 'test_publishable_key', 'test_webhook_secret', 'test_portal_configuration_id'],
        secret_key: `sk_test_...${secretKey.slice(-4)}`,
      });
      const [config] = await database.query<Record<string, unknown>>(
        `SELECT is_active, test_secret_key_enc, test_webhook_secret_enc, test_publishable_key, test_portal_configuration_id,
              live_secret_key_enc, credentials_version
         FROM stripe_configs WHERE project_id = $1`,
        [projectId],
      );
      expect(config).toMatchObject({
        is_active: true,
        test_publishable_key: publishableKey,
        test_portal_configuration_id: 'bpc_123abc',
        live_secret_key_enc: null,
      });
      const version = config.credentials_version as number;
      for (const column of ['test_secret_key_enc', 'test_webhook_secret_enc']) {
        expect(config[column]).toMatch(new RegExp(`^v1\\.${keyId(encryptionKey)}\\.`));
        expect(config[column]).not.toContain(secretKey.slice(8));
        expect(config[column]).not.toContain(webhookSecret.slice(6));
      }

      // As PUT .../config: what is left out is kept, "" clears.
      const rotated = await cli([
        'stripe',
        'set',
        '--project',
        projectId,
        '--mode',
        'test',
        '--secret-key',
        rotatedKey,
      ]);
      expect(rotated).toEqual({
        code: 0,
        stdout: `Set test_secret_key of project ${projectId}; its test secret key is sk_test_...${rotatedKey.slice(-4)}\n`,
        stderr: '',
      });
      const webhookColumn =
        'SELECT credentials_version, test_webhook_secret_enc FROM stripe_configs WHERE project_id = $1';
      expect(await database.query(webhookColumn, [projectId])).toEqual([
        { credentials_version: version + 1, test_webhook_secret_enc: config.test_webhook_secret_enc },
      ]);
      const cleared = await cli([
        'stripe',
        'set',
        '--project',
        projectId,
        '--mode',
        'test',
        '--webhook-secret',
        '',
        '--json',
      ]);
      expect(jsonOutput(cleared)).toEqual({
        project_id: projectId,
        mode: 'test',
        fields: ['test_webhook_secret'],
        secret_key: `sk_test_...${rotatedKey.slice(-4)}`,
      });
      expect(await database.query(webhookColumn, [projectId])).toEqual([
        { credentials_version: version + 2, test_webhook_secret_enc: null },
      ]);
      // Recorded in the configuration's history as the operator's changes, without values.
      expect(
        await database.query(
          'SELECT actor_type, actor_id, fields FROM stripe_config_changes WHERE project_id = $1 ORDER BY created_at',
          [projectId],
        ),
      ).toEqual([
        {
          actor_type: 'operator',
          actor_id: null,
          fields: ['test_secret_key', 'test_publishable_key', 'test_webhook_secret', 'test_portal_configuration_id'],
        },
        { actor_type: 'operator', actor_id: null, fields: ['test_secret_key'] },
        { actor_type: 'operator', actor_id: null, fields: ['test_webhook_secret'] },
      ]);
    },
    TIMEOUT,
  );

  it(
    "stripe set changes the project's allowed origins and prices, trial and grace days as PUT .../config does",
    async () => {
      const price = `price_${randomBytes(8).toString('hex')}`;
      const set = await cli([
        'stripe',
        'set',
        '--project',
        projectId,
        '--mode',
        'live',
        '--allowed-return-url-origins',
        'https://App.Example.com:443,https://shop.example.com',
        '--allowed-price-ids',
        `${price},${price}`,
        '--trial-period-days',
        '14',
        '--past-due-grace-days',
        '3',
        '--json',
      ]);
      expect(jsonOutput(set)).toMatchObject({
        project_id: projectId,
        mode: 'live',
        fields: ['allowed_return_url_origins', 'allowed_price_ids', 'trial_period_days', 'past_due_grace_days'],
      });
      const settings = `SELECT allowed_return_url_origins, allowed_price_ids, trial_period_days, past_due_grace_days
                          FROM stripe_configs WHERE project_id = $1`;
      // Stored as the API stores them: origins as browsers compare them, each price once.
      expect(await database.query(settings, [projectId])).toEqual([
        {
          allowed_return_url_origins: ['https://app.example.com', 'https://shop.example.com'],
          allowed_price_ids: [price],
          trial_period_days: 14,
          past_due_grace_days: 3,
        },
      ]);
      // "" clears each: the lists to empty (anything allowed), the trial to none, the grace to 0.
      const cleared = await cli([
        'stripe',
        'set',
        '--project',
        projectId,
        '--mode',
        'test',
        '--allowed-return-url-origins',
        '',
        '--allowed-price-ids',
        '',
        '--trial-period-days',
        '',
        '--past-due-grace-days',
        '',
      ]);
      expect(cleared.code).toBe(0);
      expect(await database.query(settings, [projectId])).toEqual([
        { allowed_return_url_origins: [], allowed_price_ids: [], trial_period_days: null, past_due_grace_days: 0 },
      ]);
      const history = await database.query<{ fields: string[] }>(
        'SELECT fields FROM stripe_config_changes WHERE project_id = $1 AND actor_type = $2 ORDER BY created_at DESC LIMIT 2',
        [projectId, 'operator'],
      );
      expect(history.map((change) => change.fields)).toEqual([
        ['allowed_return_url_origins', 'allowed_price_ids', 'trial_period_days', 'past_due_grace_days'],
        ['allowed_return_url_origins', 'allowed_price_ids', 'trial_period_days', 'past_due_grace_days'],
      ]);
    },
    TIMEOUT,
  );

  it(
    'stripe set for an unknown project exits 1 without echoing the key',
    async () => {
      const unknown = randomUUID();
      const result = await cli([
        'stripe',
        'set',
        '--project',
        unknown,
        '--mode',
        'test',
        '--secret-key',
        secretKey,
        '--json',
      ]);
      expect(failure(result, 1)).toBe(`Project ${unknown} not found`);
      expect(result.stderr).not.toContain(secretKey);
      expect(await database.query('SELECT 1 FROM stripe_configs WHERE project_id = $1', [unknown])).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'customer link and unlink map a user to a Stripe customer',
    async () => {
      const linked = await cli([
        'customer',
        'link',
        '--project',
        projectId,
        '--user',
        userId,
        '--mode',
        'test',
        '--customer',
        'cus_A1b2',
        '--json',
      ]);
      expect(jsonOutput(linked)).toEqual({
        project_id: projectId,
        user_id: userId,
        mode: 'test',
        stripe_customer_id: 'cus_A1b2',
      });
      const mapping =
        'SELECT mode::text AS mode, stripe_customer_id FROM stripe_customers WHERE project_id = $1 AND user_id = $2';
      expect(await database.query(mapping, [projectId, userId])).toEqual([
        { mode: 'test', stripe_customer_id: 'cus_A1b2' },
      ]);

      const relinked = await cli([
        'customer',
        'link',
        '--project',
        projectId,
        '--user',
        userId,
        '--mode',
        'test',
        '--customer',
        'cus_C3d4',
      ]);
      expect(relinked).toEqual({
        code: 0,
        stdout: `Linked user ${userId} to cus_C3d4 in test mode of project ${projectId}\n`,
        stderr: '',
      });
      expect(await database.query(mapping, [projectId, userId])).toEqual([
        { mode: 'test', stripe_customer_id: 'cus_C3d4' },
      ]);

      const otherUser = randomUUID();
      const taken = await cli([
        'customer',
        'link',
        '--project',
        projectId,
        '--user',
        otherUser,
        '--mode',
        'test',
        '--customer',
        'cus_C3d4',
      ]);
      expect(failure(taken, 1)).toBe(
        'Stripe customer cus_C3d4 is already linked to another user of this project in test mode',
      );

      const unknownProject = randomUUID();
      const orphan = await cli([
        'customer',
        'link',
        '--project',
        unknownProject,
        '--user',
        userId,
        '--mode',
        'test',
        '--customer',
        'cus_X',
      ]);
      expect(failure(orphan, 1)).toBe(`Project ${unknownProject} not found`);

      const unlink = ['customer', 'unlink', '--project', projectId, '--user', userId, '--mode', 'test', '--json'];
      expect(jsonOutput(await cli(unlink))).toEqual({ unlinked: true });
      expect(await database.query(mapping, [projectId, userId])).toEqual([]);
      expect(jsonOutput(await cli(unlink))).toEqual({ unlinked: false });
    },
    TIMEOUT,
  );

  it(
    'secrets reencrypt moves every secret to the current key, then has nothing left to do',
    async () => {
      const live = await cli([
        'stripe',
        'set',
        '--project',
        projectId,
        '--mode',
        'live',
        '--secret-key',
        'rk_live_abc123',
        '--webhook-secret',
        'whsec_live1',
      ]);
      expect(live.code).toBe(0);
      const secretsQuery = `SELECT test_secret_key_enc, test_webhook_secret_enc, live_secret_key_enc, live_webhook_secret_enc
                            FROM stripe_configs`;
      const before = (await database.query<Record<string, string | null>>(secretsQuery))
        .flatMap((row) => Object.values(row))
        .filter((value) => value !== null);
      const [{ count: configurations }] = await database.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM stripe_configs',
      );
      expect(before).toHaveLength(3);
      expect(jsonOutput(await cli(['secrets', 'reencrypt', '--json']))).toEqual({ reencrypted: 0, configurations });

      const oldKey = encryptionKey;
      encryptionKey = newEncryptionKey();
      previousKeys = oldKey;
      expect(jsonOutput(await cli(['secrets', 'reencrypt', '--json']))).toEqual({ reencrypted: 3, configurations });
      const after = (await database.query<Record<string, string | null>>(secretsQuery))
        .flatMap((row) => Object.values(row))
        .filter((value) => value !== null);
      expect(after.map((ciphertext) => ciphertext?.split('.')[1])).toEqual([
        keyId(encryptionKey),
        keyId(encryptionKey),
        keyId(encryptionKey),
      ]);

      const again = await cli(['secrets', 'reencrypt']);
      expect(again).toEqual({
        code: 0,
        stdout: `Re-encrypted 0 secret(s) across ${configurations} Stripe configuration(s)\n`,
        stderr: '',
      });
    },
    TIMEOUT,
  );

  it(
    'token mint signs an HS256 access token with the configured secret',
    async () => {
      const minted = jsonOutput(
        await cli(['token', 'mint', '--user', userId, '--project', projectId, '--ttl', '600', '--json']),
      );
      expect(Object.keys(minted).sort()).toEqual(['expires_in', 'token']);
      expect(minted.expires_in).toBe(600);
      const claims = jwt.verify(String(minted.token), jwtSecret, { algorithms: ['HS256'] }) as JwtPayload;
      expect(claims).toMatchObject({ sub: userId, project_id: projectId, type: 'access' });
      expect(claims.exp! - claims.iat!).toBe(600);
      expect(jwt.decode(String(minted.token), { complete: true })?.header.alg).toBe('HS256');

      const plain = await cli(['token', 'mint', '--user', userId]);
      expect({ code: plain.code, stderr: plain.stderr }).toEqual({ code: 0, stderr: '' });
      expect(plain.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const defaults = jwt.verify(plain.stdout.trim(), jwtSecret, { algorithms: ['HS256'] }) as JwtPayload;
      expect(defaults.exp! - defaults.iat!).toBe(1800);
      expect(defaults).not.toHaveProperty('project_id');
    },
    TIMEOUT,
  );

  it(
    'token mint includes the configured issuer and audience',
    async () => {
      const env = { JWT_ISSUER: 'https://auth.example.test', JWT_AUDIENCE: 'payments' };
      const minted = jsonOutput(await cli(['token', 'mint', '--user', userId, '--json'], env));
      const claims = jwt.verify(String(minted.token), jwtSecret, {
        algorithms: ['HS256'],
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
      });
      expect(claims).toMatchObject({ sub: userId, type: 'access' });
    },
    TIMEOUT,
  );

  it(
    'token mint needs no database, and refuses when only a public key is configured',
    async () => {
      const offline = await cli(['token', 'mint', '--user', userId, '--json'], {
        DATABASE_URL: UNREACHABLE_DATABASE_URL,
      });
      const { token } = jsonOutput(offline);
      expect(jwt.verify(String(token), jwtSecret, { algorithms: ['HS256'] })).toMatchObject({ sub: userId });

      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const verifyOnly = await cli(['token', 'mint', '--user', userId, '--json'], {
        JWT_SECRET: undefined,
        JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      expect(failure(verifyOnly, 1)).toMatch(/^JWT_SECRET is not configured/);
    },
    TIMEOUT,
  );

  it(
    'a database command exits 1 with one line when PostgreSQL is unreachable',
    async () => {
      const result = await cli(['secrets', 'reencrypt', '--json'], { DATABASE_URL: UNREACHABLE_DATABASE_URL });
      expect(failure(result, 1)).toMatch(/Can't reach database server at `127\.0\.0\.1:1`/);
    },
    TIMEOUT,
  );

  it(
    'refuses an embedded data directory held by another process, and works on it once released',
    async () => {
      // The suite's own directory on PGlite (already migrated); on PostgreSQL one of its own. A fresh owner tells
      // this test's projects apart.
      const dataDir = database.env.PGLITE_DATA_DIR ?? join(cwd, 'held');
      const env = { PGLITE_DATA_DIR: dataDir, DATABASE_URL: undefined };
      const owner = randomUUID();
      const ownProjects = 'SELECT id, name FROM projects WHERE owner_id = $1 ORDER BY created_at';
      const { id: firstId } = jsonOutput(
        await cli(['project', 'create', '--name', 'Before', '--owner', owner, '--json'], env),
      );

      const holder = await openPglite(dataDir);
      try {
        for (const args of [
          ['project', 'create', '--name', 'During', '--owner', owner, '--json'],
          ['db', 'migrate'],
        ]) {
          expect(failure(await cli(args, env), 1)).toMatch(BUSY);
        }
        // The refused CLI neither took the lock nor damaged the holder's view.
        const rows = await pgliteOf(holder).query<{ id: string; name: string }>(ownProjects, [owner]);
        expect(rows.rows).toEqual([{ id: firstId, name: 'Before' }]);
      } finally {
        await holder.close();
      }

      const { id: secondId } = jsonOutput(
        await cli(['project', 'create', '--name', 'After', '--owner', owner, '--json'], env),
      );
      expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
      const reopened = await openPglite(dataDir);
      try {
        const rows = await pgliteOf(reopened).query<{ id: string; name: string }>(ownProjects, [owner]);
        expect(rows.rows).toEqual([
          { id: firstId, name: 'Before' },
          { id: secondId, name: 'After' },
        ]);
      } finally {
        await reopened.close();
      }
    },
    TIMEOUT,
  );

  describe('stripe sync', () => {
    const stub = new StripeStub();
    const owner = randomUUID();
    const syncedProject = randomUUID();
    const user = randomUUID();
    const key = `sk_test_${randomBytes(18).toString('hex')}`;
    let stubEnv: CliEnv;
    const syncArgs = (mode = 'test') => ['stripe', 'sync', '--project', syncedProject, '--mode', mode];

    beforeAll(async () => {
      stubEnv = { STRIPE_API_BASE_URL: await stub.start(), STRIPE_MAX_NETWORK_RETRIES: '0' };
      stub.addAccount(key, ['cus_cliSynced']);
      const price = stub.addPrice(key, { unitAmount: 900, recurring: { interval: 'month' }, productName: 'Basic' });
      stub.createSubscription(key, {
        customer: 'cus_cliSynced',
        price,
        metadata: { project_id: syncedProject, user_id: user },
      });
      jsonOutput(await cli(['project', 'create', '--name', 'Sync', '--owner', owner, '--id', syncedProject, '--json']));
      jsonOutput(
        await cli(['stripe', 'set', '--project', syncedProject, '--mode', 'test', '--secret-key', key, '--json']),
      );
    }, TIMEOUT);

    afterAll(() => stub.stop());

    it(
      "records the project's subscriptions from Stripe through the API's service, restoring the customer link",
      async () => {
        expect(jsonOutput(await cli([...syncArgs(), '--json'], stubEnv))).toEqual({
          project_id: syncedProject,
          mode: 'test',
          fetched: 1,
          created: 1,
          updated: 0,
          unchanged: 0,
          ignored: 0,
          links_restored: 1,
        });
        expect(
          await database.query(
            `SELECT s.user_id, s.status, s.plan_name, c.stripe_customer_id
               FROM subscriptions s JOIN stripe_customers c ON c.project_id = s.project_id AND c.user_id = s.user_id
              WHERE s.project_id = $1`,
            [syncedProject],
          ),
        ).toEqual([{ user_id: user, status: 'active', plan_name: 'Basic', stripe_customer_id: 'cus_cliSynced' }]);
        expect(await cli(syncArgs(), stubEnv)).toEqual({
          code: 0,
          stdout:
            `Synced test mode subscriptions of project ${syncedProject} from Stripe: 1 fetched, 0 created, 0 updated, ` +
            "1 unchanged, 0 not this project's; 0 customer link(s) restored\n",
          stderr: '',
        });
      },
      TIMEOUT,
    );

    it(
      'exits 1 with the API answer for a mode without a key or a key Stripe refuses, never echoing the key',
      async () => {
        expect(failure(await cli(syncArgs('live'), stubEnv), 1)).toBe('Project not found or Stripe not configured');
        stub.failNextForKey(key, { kind: 'authentication' });
        const refused = await cli(syncArgs(), stubEnv);
        expect(failure(refused, 1)).toBe(
          "Stripe rejected the project's test mode secret key (invalid, expired or revoked); update the project's Stripe configuration",
        );
        expect(refused.stderr).not.toContain(key.slice(-4));
      },
      TIMEOUT,
    );

    it(
      'refuses a bad command line with exit 2 before anything runs',
      async () => {
        expect(failure(await cli(['stripe', 'sync', '--project', syncedProject, '--mode', 'prod']), 2)).toBe(
          '--mode must be test or live',
        );
        expect(failure(await cli(['stripe', 'sync', '--mode', 'test']), 2)).toBe('--project is required');
        expect(failure(await cli(['stripe', 'sync', '--project', 'nope', '--mode', 'test']), 2)).toBe(
          '--project must be a UUID',
        );
      },
      TIMEOUT,
    );
  });
});
