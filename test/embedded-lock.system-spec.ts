import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort } from './support/ports.js';
import { startService, waitForOutput, type ServiceProcess } from './support/service-process.js';
import { accessToken, TEST_JWT_SECRET } from './support/tokens.js';

const CLI = join(process.cwd(), 'dist', 'apps', 'cli', 'src', 'main.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI, on the same data directory and secrets as the service. */
function cli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the embedded database lock between the service and the CLI', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let service: ServiceProcess | undefined;
  const createProject = (args: string[] = []) =>
    cli(env, ['project', 'create', '--name', 'from the CLI', '--owner', randomUUID(), '--json', ...args]);

  async function startOnDataDir(): Promise<{ service: ServiceProcess; base: string }> {
    const port = await freePort();
    const started = startService(dataDir, { ...env, PORT: String(port), HOST: '127.0.0.1' });
    await waitForOutput(started, /Listening on/);
    return { service: started, base: `http://127.0.0.1:${port}` };
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lock-system-'));
    env = {
      PGLITE_DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
  });

  afterEach(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    service = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the CLI while the service lives, even stopped (SIGSTOP) for longer than any staleness window', async () => {
    const started = await startOnDataDir();
    service = started.service;
    const pid = started.service.child.pid!;
    started.service.child.kill('SIGSTOP');
    try {
      // A lock this old was stale to the former time-based rule; the owner's process is alive, so it is not.
      const owner = JSON.parse(readFileSync(join(dataDir, 'pglite.lock'), 'utf8')) as { pid: number };
      expect(owner.pid).toBe(pid);
      const refused = await createProject();
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain(`is in use by process ${pid} (is the service running?)`);
    } finally {
      started.service.child.kill('SIGCONT');
    }
  });

  it('after kill -9, the CLI takes the lock over at once and says whose it was', async () => {
    const started = await startOnDataDir();
    const pid = started.service.child.pid!;
    started.service.child.kill('SIGKILL');
    await started.service.exited;

    const created = await createProject();
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ id: expect.any(String) });
    expect(created.stderr).toContain(`Took over the embedded database lock of process ${pid}`);
    expect(created.stderr).toContain('which is no longer running');
  });

  it('a service whose lock is taken from it stops at once with exit code 1, and nothing it wrote is lost', async () => {
    const started = await startOnDataDir();
    service = started.service;
    const developer = `Bearer ${accessToken({ sub: randomUUID() })}`;
    const kept = await request(started.base)
      .post('/api/v1/projects/')
      .set('Authorization', developer)
      .send({ name: 'kept' })
      .expect(201);

    // Someone replaces the lock (as the former CLI did with a stopped service's lock).
    const owner = JSON.parse(readFileSync(join(dataDir, 'pglite.lock'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dataDir, 'pglite.lock'), JSON.stringify({ ...owner, token: randomUUID() }));

    const exit = await Promise.race([
      started.service.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(started.service.output()).toContain('Lost the embedded database lock');

    // Restarted (the supervisor's job), it takes over the lock the gone process was named in, and has its data.
    const restarted = await startOnDataDir();
    service = restarted.service;
    expect(restarted.service.output()).toContain(
      `Took over the embedded database lock of process ${started.service.child.pid}`,
    );
    const project = await request(restarted.base)
      .get(`/api/v1/projects/${kept.body.id as string}`)
      .set('Authorization', developer)
      .expect(200);
    expect(project.body).toMatchObject({ id: kept.body.id, name: 'kept' });
  });
});
