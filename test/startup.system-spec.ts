import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort } from './support/ports.js';
import { startService, waitForOutput } from './support/service-process.js';

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
      await waitForOutput(first, /Listening on http:\/\/127\.0\.0\.1:\d+/);
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
        /EmbeddedDatabaseBusyError: The embedded database in .* is in use by another process/,
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
