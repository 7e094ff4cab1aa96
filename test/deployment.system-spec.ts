import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { environmentSchema } from '#libs/config';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { accessToken } from './support/tokens.js';
import { freePort } from './support/ports.js';

/**
 * What users deploy: docker-compose.yml and the Dockerfile. There is no Docker engine here, so the Dockerfile's
 * runtime stage is reproduced as a file tree (its COPY instructions, `npm ci --omit=dev`) and the service is started
 * from it: a run-time need for a dev dependency, or a missing file, fails here instead of in a user's container.
 */

const ROOT = process.cwd();
const MIGRATIONS = readdirSync(join(ROOT, 'prisma', 'migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

// ---------------------------------------------------------------- docker-compose.yml

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[] };
  volumes?: (string | { type?: string; source?: string; target?: string })[];
}

const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

function environmentOf(service: ComposeService): Map<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((line) => {
        const at = line.indexOf('=');
        return at === -1 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      })
    : Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value ?? '')]);
  return new Map(entries as [string, string][]);
}

describe('docker-compose.yml', () => {
  const api = compose.services.api;
  const db = compose.services.db;
  const env = environmentOf(api ?? {});

  it('has an api service built from the Dockerfile and a PostgreSQL db service', () => {
    expect(api?.build).toBeDefined();
    expect(db?.image).toMatch(/^postgres:/);
  });

  it('sets only variables the service reads (keys of environmentSchema)', () => {
    const known = Object.keys(environmentSchema.shape);
    expect([...env.keys()].filter((name) => !known.includes(name))).toEqual([]);
  });

  it('sets everything production needs', () => {
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('DATABASE_URL')).toMatch(/^postgres(ql)?:\/\//);
    expect(env.has('JWT_SECRET') || env.has('JWT_PUBLIC_KEY')).toBe(true);
    expect(env.get('SECRETS_ENCRYPTION_KEY')).toBeTruthy();
    // Secrets come from the user's environment, and compose refuses to start without them.
    expect(env.get('JWT_SECRET') ?? env.get('JWT_PUBLIC_KEY')).toMatch(/^\$\{[A-Z_]+:\?.+\}$/);
    expect(env.get('SECRETS_ENCRYPTION_KEY')).toMatch(/^\$\{SECRETS_ENCRYPTION_KEY:\?.+\}$/);
    expect(['true', '1', undefined]).toContain(env.get('MIGRATE_ON_START'));
  });

  it('points DATABASE_URL at the db service with its user, password and database', () => {
    const url = new URL(env.get('DATABASE_URL')!);
    const dbEnv = environmentOf(db);
    expect(url.hostname).toBe('db');
    expect(url.port || '5432').toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(dbEnv.get('POSTGRES_USER'));
    expect(decodeURIComponent(url.password)).toBe(dbEnv.get('POSTGRES_PASSWORD'));
    expect(url.pathname).toBe(`/${dbEnv.get('POSTGRES_DB')}`);
  });

  it('starts the api only once the database is healthy', () => {
    expect(Array.isArray(api.depends_on)).toBe(false);
    expect((api.depends_on as Record<string, { condition?: string }>).db?.condition).toBe('service_healthy');
    const test = db.healthcheck?.test;
    expect([test].flat().join(' ')).toMatch(/pg_isready/);
  });

  it('shares rate-limit counters through the redis service, started before the api once healthy', () => {
    const redis = compose.services.redis;
    expect(redis?.image).toMatch(/^redis:/);
    expect(new URL(env.get('REDIS_URL')!)).toMatchObject({ protocol: 'redis:', hostname: 'redis', port: '6379' });
    expect((api.depends_on as Record<string, { condition?: string }>).redis?.condition).toBe('service_healthy');
    expect([redis.healthcheck?.test].flat().join(' ')).toMatch(/redis-cli.*ping/);
  });

  it("keeps the database's data in a named volume", () => {
    const named = Object.keys(compose.volumes ?? {});
    const mounted = (db.volumes ?? []).map((volume) =>
      typeof volume === 'string' ? { source: volume.split(':')[0], target: volume.split(':')[1] } : volume,
    );
    expect(mounted).toContainEqual(expect.objectContaining({ target: '/var/lib/postgresql/data' }));
    const dataVolume = mounted.find((volume) => volume.target === '/var/lib/postgresql/data')!;
    expect(named).toContain(dataVolume.source);
  });
});

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (op.toUpperCase() === 'FROM') stages.push({ name: /\bAS\s+(\S+)$/i.exec(args)?.[1], instructions: [] });
    stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

function workdirOf(stage: Stage): string {
  return stage.instructions.filter((i) => i.op === 'WORKDIR').reduce((dir, i) => posix.resolve(dir, i.args), '/');
}

/** A COPY of the runtime stage as files of this repository: `--from=build` sources are the build's dist/. */
interface CopyStep {
  sources: string[];
  destination: string;
}

function copySteps(stages: Stage[], runtime: Stage): CopyStep[] {
  return runtime.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((word) => word.startsWith('--'));
      const [destination, ...reversed] = words.filter((word) => !word.startsWith('--')).reverse();
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
      const sources = reversed.reverse().map((source) => {
        if (!from) return source;
        const stage = stages.find((s) => s.name === from);
        if (!stage) throw new Error(`COPY --from=${from}: no such stage`);
        return posix.relative(workdirOf(stage), source);
      });
      if (from && sources.some((source) => source !== 'dist')) {
        throw new Error(`COPY --from=${from} ${sources.join(' ')}: only dist/ is known to come from the build stage`);
      }
      return { sources, destination };
    });
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const runtimeCmd = JSON.parse(runtime.instructions.findLast((i) => i.op === 'CMD')!.args) as string[];
const healthcheckArgs = runtime.instructions.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
/** The HEALTHCHECK's exec-form command (`CMD ["node", "-e", ...]`), or undefined when it has none. */
const healthcheckCmd = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheckArgs)?.[1];
/** The runtime stage's `npm ci` options, as written (up to the next shell operator). */
const runtimeNpmCiOptions =
  runtime.instructions
    .filter((i) => i.op === 'RUN')
    .map((i) => /\bnpm ci\b([^&|;]*)/.exec(i.args)?.[1].trim().split(/\s+/))
    .find(Boolean) ?? [];

describe('Dockerfile', () => {
  const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);

  it('is multi-stage; the runtime stage installs production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runs(runtime).filter((run) => /\bnpm ci\b/.test(run))).toHaveLength(1);
    expect(runtimeNpmCiOptions).toContain('--omit=dev');
  });

  it('never runs the postinstall (scripts/prisma-generate.mjs) before scripts/ is in the image', () => {
    const problems = stages.flatMap((stage, number) =>
      stage.instructions.flatMap((instruction, index) => {
        if (instruction.op !== 'RUN' || !/\bnpm ci\b/.test(instruction.args)) return [];
        if (instruction.args.includes('--ignore-scripts')) return [];
        const copiedBefore = stage.instructions
          .slice(0, index)
          .filter((i) => i.op === 'COPY')
          .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
        const hasScripts = copiedBefore.some((source) => ['.', 'scripts', 'scripts/', './scripts'].includes(source));
        return hasScripts ? [] : [`stage ${stage.name ?? number}: ${instruction.args}`];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('runs as a user that is not root', () => {
    const user = runtime.instructions.findLast((i) => i.op === 'USER')?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('has a HEALTHCHECK on GET /health, with node (the slim image has no curl)', () => {
    expect(healthcheckCmd).toBeDefined();
    const [command, ...args] = JSON.parse(healthcheckCmd!) as string[];
    expect(command).toBe('node');
    expect(args.join(' ')).toContain('/health');
  });

  it('copies the migrations and the compiled service, and none of them is excluded from the build context', () => {
    const sources = copySteps(stages, runtime).flatMap((step) => step.sources);
    expect(sources).toEqual(expect.arrayContaining(['prisma', 'dist', 'package.json', 'package-lock.json']));
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim().replace(/\/$/, ''));
    const fromContext = copySteps(stages, runtime)
      .filter((step) => !step.sources.includes('dist'))
      .flatMap((step) => step.sources);
    expect(fromContext.filter((source) => ignored.includes(source))).toEqual([]);
    expect(runtimeCmd).toEqual(['node', '--max-semi-space-size=64', 'dist/apps/api/src/main.js']);
  });
});

// ---------------------------------------------------------------- the runtime stage, without Docker

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

/** npm's own settings, minus what would point a nested npm back at this project (prefixes, lifecycle vars). */
function npmEnvironment(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|registry|userconfig|https?_proxy|proxy|noproxy|strict_ssl|cafile)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || keep.test(name)),
  ) as NodeJS.ProcessEnv;
}

describe('the runtime image file tree (Dockerfile runtime stage, without Docker)', () => {
  let image: string;
  let database: TestDatabase | undefined;
  let service: ChildProcess | undefined;

  beforeAll(() => {
    image = mkdtempSync(join(tmpdir(), 'runtime-image-'));
  });

  afterAll(async () => {
    service?.kill('SIGKILL');
    await database?.drop();
    rmSync(image, { recursive: true, force: true });
  });

  it('installs with npm ci --omit=dev, starts in production, migrates and answers health checks', async () => {
    // Nothing above the tree may lend it modules: resolution must find only what npm ci installed.
    for (let dir = dirname(image); dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    }
    expect(existsSync('/node_modules')).toBe(false);

    for (const { sources, destination } of copySteps(stages, runtime)) {
      for (const source of sources) {
        const target = destination.endsWith('/')
          ? join(image, destination, basename(source))
          : join(image, destination);
        cpSync(join(ROOT, source), target, { recursive: true });
      }
    }
    expect(statSync(join(image, 'prisma', 'migrations')).isDirectory()).toBe(true);
    // The Dockerfile's own options; scripts never run here (the image build may, the tree must not depend on it).
    const options = [
      ...new Set([...runtimeNpmCiOptions, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline']),
    ];
    await run('npm', ['ci', ...options], image, npmEnvironment());
    const absent = ['jest', 'ts-jest', 'eslint', 'prettier', '@nestjs/testing', 'supertest'];
    // Without --omit=optional they come back as @prisma/client's optional peers, which the service does not load.
    if (options.includes('--omit=optional')) absent.push('prisma', 'typescript');
    expect(absent.filter((name) => existsSync(join(image, 'node_modules', name)))).toEqual([]);

    database = process.env.DATABASE_URL ? await createTestDatabase('deploy') : undefined;
    const jwtSecret = randomBytes(32).toString('base64url');
    const port = await freePort();
    let output = '';
    service = spawn(process.execPath, runtimeCmd.slice(1), {
      cwd: image,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        JWT_SECRET: jwtSecret,
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ...(database ? database.env : { PGLITE_DATA_DIR: join(image, 'pgdata') }),
      },
    });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      service!.on('exit', (code, signal) => resolve({ code, signal })),
    );

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (service.exitCode !== null) throw new Error(`the service exited ${service.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`GET /health never answered 200:\n${output}`);
      const status = await fetch(`${base}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Docker's HEALTHCHECK command, as written, against the running service (it reads PORT as the image does).
    const [, ...healthcheck] = JSON.parse(healthcheckCmd!) as string[];
    await run(process.execPath, healthcheck, image, { PATH: process.env.PATH ?? '', PORT: String(port) });

    const readiness = await fetch(`${base}/api/v1/health/database`);
    expect(readiness.status).toBe(200);
    expect(await readiness.json()).toMatchObject({
      status: 'healthy',
      connection: database ? 'postgresql' : 'pglite',
      error: null,
    });

    // The migrations really ran: every folder is recorded as finished, and the API can use the tables.
    expect(output).toContain(`Applied migrations: ${MIGRATIONS.join(', ')}`);
    if (database) {
      const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ migration_name: string }>(
          'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY 1',
        );
        expect(rows.map((row) => row.migration_name)).toEqual(MIGRATIONS);
      } finally {
        await client.end();
      }
    }
    const developer = accessToken({ secret: jwtSecret });
    const projects = await fetch(`${base}/api/v1/projects/`, { headers: { Authorization: `Bearer ${developer}` } });
    expect(projects.status).toBe(200);

    service.kill('SIGTERM');
    const stopped = await exited;
    expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);
    // ...and it reports a stopped service as unhealthy.
    await expect(
      run(process.execPath, healthcheck, image, { PATH: process.env.PATH ?? '', PORT: String(port) }),
    ).rejects.toThrow(/exited 1/);
    expect(output).not.toMatch(/\n\s+at /);
  }, 180_000);
});
