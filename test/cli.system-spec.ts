import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { loadConfig } from '#libs/config';
import { failure, jsonOutput, openPglite, pgliteOf, type CliEnv, type CliResult } from './support/cli.js';

/**
 * The operator CLI as operators run it, a few smoke tests: the compiled dist/apps/cli/src/main.js in a child process
 * (exit codes, stdout and stderr of a real process, the embedded data directory's lock across processes). Every
 * command's behaviour is tested in-process, through the same runCli, in cli.ops-spec.ts.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const TIMEOUT = 60_000;
const UNREACHABLE_DATABASE_URL = 'postgresql://postgres@127.0.0.1:1/none';
const BUSY = /in use by process \d+ \(is the service running\?\)/;

const jwtSecret = randomBytes(48).toString('base64url');
const encryptionKey = randomBytes(32).toString('base64');
let cwd: string;

/** Only the variables given here: nothing of the test runner's environment (e.g. DATABASE_URL) leaks in. */
function baseEnv(overrides: CliEnv): Record<string, string> {
  const env: CliEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    JWT_SECRET: jwtSecret,
    SECRETS_ENCRYPTION_KEY: encryptionKey,
    PGLITE_DATA_DIR: join(cwd, 'data'),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function cli(args: string[], overrides: CliEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: baseEnv(overrides),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  // dist/ is compiled fresh by the system tier's global setup (test/global-setup.js).
  cwd = await mkdtemp(join(tmpdir(), 'cli-system-'));
});

afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('operator CLI (compiled, spawned)', () => {
  const ownerId = randomUUID();
  const userId = randomUUID();

  it('prints usage on stdout for help and --help, exit 0', async () => {
    for (const args of [['help'], ['--help'], ['stripe', 'set', '--help']]) {
      const result = await cli(args);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: /);
      expect(result.stdout).toContain('stripe set --project <uuid> --mode test|live [--secret-key <sk_...>]');
    }
  });

  it(
    'rejects bad command lines with exit 2 and one line on stderr, before opening any database',
    async () => {
      const cases: [string[], string][] = [
        [[], 'Missing command; run `cli help` for usage'],
        [['projects', 'make', '--json'], 'Unknown command "projects make"; run `cli help` for usage'],
        [['token', 'mint', '--json', '--user', 'sk_live_DoNotEchoThis123'], '--user must be a UUID'],
      ];
      const results = await Promise.all(cases.map(([args]) => cli(args, { DATABASE_URL: UNREACHABLE_DATABASE_URL })));
      expect(results.map((result) => failure(result, 2))).toEqual(cases.map(([, message]) => message));
    },
    TIMEOUT,
  );

  it(
    'exits 0 with exactly one JSON object on stdout and nothing on stderr',
    async () => {
      const minted = jsonOutput(await cli(['token', 'mint', '--user', userId, '--ttl', '600', '--json']));
      expect(minted).toEqual({ token: expect.any(String), expires_in: 600 });
      expect(jwt.verify(String(minted.token), jwtSecret, { algorithms: ['HS256'] })).toMatchObject({ sub: userId });
    },
    TIMEOUT,
  );

  it(
    'exits 1 with one line for a failure',
    async () => {
      const message = failure(await cli(['secrets', 'reencrypt', '--json'], { SECRETS_ENCRYPTION_KEY: 'c2hvcnQ=' }), 1);
      expect(message).toBe('Invalid configuration: SECRETS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded');
    },
    TIMEOUT,
  );

  it(
    'runs through scripts/cli.mjs (npm run cli) with the same output and exit codes',
    async () => {
      const run = (args: string[]) =>
        spawnSync(process.execPath, [join(ROOT, 'scripts', 'cli.mjs'), ...args], {
          cwd,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            NODE_ENV: 'test',
            JWT_SECRET: jwtSecret,
            SECRETS_ENCRYPTION_KEY: encryptionKey,
          },
        });
      const minted = run(['token', 'mint', '--user', userId, '--ttl', '60', '--json']);
      expect(jsonOutput({ code: minted.status, stdout: minted.stdout, stderr: minted.stderr })).toEqual({
        token: expect.any(String),
        expires_in: 60,
      });
      const wrong = run(['token', 'mint', '--user', 'nobody']);
      expect(failure({ code: wrong.status, stdout: wrong.stdout, stderr: wrong.stderr }, 2)).toBe(
        '--user must be a UUID',
      );
    },
    TIMEOUT,
  );

  it(
    'token mint without configured secrets signs with the development secrets the service uses, whatever its database',
    async () => {
      const unset = { DATABASE_URL: undefined, PGLITE_DATA_DIR: undefined, JWT_SECRET: undefined };
      const result = await cli(['token', 'mint', '--user', userId, '--json'], {
        ...unset,
        SECRETS_ENCRYPTION_KEY: undefined,
      });
      expect(result.code).toBe(0);
      // Relative to the working directory, as an operator runs it from the service's folder.
      const file = join(cwd, '.data', 'dev-secrets.json');
      expect(result.stderr).toBe(
        `Using development secrets from ${file} for JWT_SECRET, SECRETS_ENCRYPTION_KEY; ` +
          'set them in the environment for production.\n',
      );
      const { token } = JSON.parse(result.stdout) as { token: string };
      // The service started from the same folder, on PostgreSQL, in memory or on PGlite elsewhere.
      for (const env of [
        { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test' },
        { PGLITE_DATA_DIR: 'memory://' },
        { PGLITE_DATA_DIR: join(cwd, 'dev') },
      ]) {
        const service = loadConfig({ NODE_ENV: 'test', DEV_SECRETS_FILE: file, ...env });
        expect(jwt.verify(token, service.jwt.secret!, { algorithms: ['HS256'] })).toMatchObject({
          sub: userId,
          type: 'access',
        });
      }
    },
    TIMEOUT,
  );

  it(
    'refuses an embedded data directory held by another process, and works on it once released',
    async () => {
      const dataDir = join(cwd, 'held');
      const env = { PGLITE_DATA_DIR: dataDir };
      const { id: firstId } = jsonOutput(
        await cli(['project', 'create', '--name', 'Before', '--owner', ownerId, '--json'], env),
      );

      // This test process holds it, as a running service would.
      const holder = await openPglite(dataDir);
      try {
        for (const args of [
          ['project', 'create', '--name', 'During', '--owner', ownerId, '--json'],
          ['db', 'migrate'],
        ]) {
          expect(failure(await cli(args, env), 1)).toMatch(BUSY);
        }
        // The refused CLI neither took the lock nor damaged the holder's view.
        const rows = await pgliteOf(holder).query<{ name: string }>('SELECT name FROM projects ORDER BY created_at');
        expect(rows.rows).toEqual([{ name: 'Before' }]);
      } finally {
        await holder.close();
      }

      const { id: secondId } = jsonOutput(
        await cli(['project', 'create', '--name', 'After', '--owner', ownerId, '--json'], env),
      );
      expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
      const reopened = await openPglite(dataDir);
      try {
        const rows = await pgliteOf(reopened).query<{ id: string; name: string }>(
          'SELECT id, name FROM projects ORDER BY created_at',
        );
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
});
