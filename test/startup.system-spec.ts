import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort } from './support/ports.js';
import { startService, waitForOutput } from './support/service-process.js';
import { TEST_JWT_SECRET } from './support/tokens.js';

describe('service start-up (compiled, as npm start runs it)', () => {
  let cwd: string;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'service-'));
  });

  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts with zero configuration on embedded PGlite, generating development secrets once', async () => {
    const port = await freePort();
    const first = startService(cwd, { PORT: String(port), HOST: '127.0.0.1' });
    try {
      await waitForOutput(first, /Listening on 127\.0\.0\.1:\d+/);
      expect(first.output()).toContain(
        `"msg":"Listening on 127.0.0.1:${port}; API documentation at http://127.0.0.1:${port}/docs"`,
      );
      // Nest's route map (paths without their /v1) is left out.
      expect(first.output()).not.toMatch(/RoutesResolver|RouterExplorer|Mapped \{/);
      const base = `http://127.0.0.1:${port}`;
      await request(base).get('/openapi.json').expect(200);
      const unauthorized = await request(base)
        .post('/api/v1/payments/stripe/customer-portal')
        .send({ return_url: 'https://example.com' })
        .expect(401);
      expect(unauthorized.body).toEqual({ detail: 'Could not validate credentials' });

      const secretsFile = join(cwd, '.data', 'dev-secrets.json');
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as { jwtSecret: string; encryptionKey: string };
      expect(first.output()).toMatch(
        /Using development secrets from .*dev-secrets\.json for JWT_SECRET, SECRETS_ENCRYPTION_KEY/,
      );
      expect(first.output()).not.toContain(secrets.jwtSecret);
      expect(first.output()).not.toContain(secrets.encryptionKey);

      // A second process on the same data directory is refused while the first holds it.
      const second = startService(cwd, { PORT: String(await freePort()) });
      const refused = await second.exited;
      expect(refused.code).toBe(1);
      expect(second.output()).toMatch(
        /EmbeddedDatabaseBusyError: The embedded database in .* is in use by process \d+ \(is the service running\?\)/,
      );

      first.child.kill('SIGTERM');
      expect(await first.exited).toEqual({ code: 0, signal: null });

      // Restarted on the same directory: same secrets, migrations already applied.
      const restarted = startService(cwd, { PORT: String(port), HOST: '127.0.0.1' });
      try {
        await waitForOutput(restarted, /Listening on/);
        expect(restarted.output()).toMatch(/Database schema is up to date/);
        expect(JSON.parse(readFileSync(secretsFile, 'utf8'))).toEqual(secrets);
      } finally {
        restarted.child.kill('SIGTERM');
        await restarted.exited;
      }
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('refuses to start in production without secrets, naming each missing variable', async () => {
    const started = startService(cwd, { NODE_ENV: 'production' });
    const { code } = await started.exited;
    expect(code).toBe(1);
    expect(started.output()).toContain('JWT_SECRET: required when NODE_ENV=production');
    expect(started.output()).toContain('SECRETS_ENCRYPTION_KEY: required when NODE_ENV=production');
    expect(started.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses to start with invalid values, naming each bad variable', async () => {
    const started = startService(cwd, { PORT: 'abc', STRIPE_TIMEOUT_MS: '-5', MIGRATE_ON_START: 'maybe' });
    const { code } = await started.exited;
    expect(code).toBe(1);
    expect(started.output()).toMatch(/PORT: /);
    expect(started.output()).toMatch(/STRIPE_TIMEOUT_MS: /);
    expect(started.output()).toMatch(/MIGRATE_ON_START: must be true or false/);
  });
});

describe('npm run start:prod', () => {
  const ROOT = process.cwd();

  /** The processes whose parent is `pid`, as `pid command` pairs. */
  function childrenOf(pid: number): string[] {
    const listing = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
    return listing.stdout
      .split('\n')
      .map((line) => line.trim().replace(/\s+/, ' '))
      .filter(Boolean);
  }

  async function refusesConnections(port: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
      if (refused) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  // npm runs a script through a shell; without `exec` the shell, not node, gets the TERM that npm passes on.
  it('runs node in place of the shell, so a TERM sent to npm stops the server and frees the port', async () => {
    const port = await freePort();
    // Its own process group, so that cleanup can reach whatever a failed run leaves behind.
    const npm = spawn('npm', ['run', '-s', 'start:prod'], {
      cwd: ROOT,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        PGLITE_DATA_DIR: 'memory://',
        JWT_SECRET: TEST_JWT_SECRET,
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('Listening on') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toContain(`Listening on 127.0.0.1:${port}`);
      await request(`http://127.0.0.1:${port}`).get('/health').expect(200);
      const children = childrenOf(npm.pid!);
      expect(children).toEqual([expect.stringMatching(/^\d+ node$/)]);
      const nodePid = Number(children[0].split(' ')[0]);

      npm.kill('SIGTERM');

      expect(await refusesConnections(port, 5_000)).toBe(true);
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM received: finishing in-flight requests');
      expect(() => process.kill(nodePid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
  }, 60_000);

  it('is what npm start runs after building', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).toBe(`npm run -s build && ${scripts['start:prod']}`);
  });
});
