import 'reflect-metadata';
import { fork, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { pino } from 'pino';
import { startBaseline } from './baseline.mjs';
import { startStripeStub } from './stripe-stub.mjs';

/*
 * npm run bench: the customer-portal endpoint of the real service (in-process, from dist/) against a bare node:http
 * baseline doing only the essential work, both on the same Stripe stub and database kind, driven by autocannon from a
 * child process. Prints numbers; it asserts nothing. See bench/README.md.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => join(root, 'dist', path);
const { createApiApp } = await import(dist('apps/api/src/configure-app.js'));
const { loadConfig } = await import(dist('libs/config/src/index.js'));
const { ProjectsRepository } = await import(dist('libs/projects/src/index.js'));
const { applyMigrations } = await import(dist('libs/database/src/index.js'));

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
// Baseline and service alternate for this many rounds: on a shared VM the machine's speed drifts between runs, so each
// round's ratio compares two neighbouring phases, and the median over the rounds is the verdict.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PORTAL_PATH = '/api/v1/payments/stripe/customer-portal?test_mode=true';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const JWT_SECRET = randomBytes(32).toString('base64url');
const serverUrl = process.env.DATABASE_URL;
// BENCH_ONLY=service (or baseline) measures one side only, e.g. under `node --cpu-prof`; ratios need both.
const ONLY = process.env.BENCH_ONLY;

const cleanups = [];
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error('cleanup:', error));
}

async function main() {
  console.log(
    `bench: ${PROJECTS} projects, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per server, ` +
      `database ${serverUrl ? 'PostgreSQL' : 'PGlite memory://'}, Node ${process.version}`,
  );
  const stub = await startStripeStub();
  cleanups.push(() => stub.close());

  // The service, wired as in production, on its own database.
  const serviceDb = await freshDatabase('bench_service');
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET,
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STRIPE_API_BASE_URL: stub.baseUrl,
    // One address and 20 users send thousands of requests a second: limits high enough never to refuse, still counted.
    RATE_LIMIT_USER_PER_MINUTE: '1000000000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000000',
    ...JSON.parse(process.env.BENCH_ENV ?? '{}'),
    ...serviceDb.env,
  });
  // Production logging (LOG_LEVEL's default, one JSON line per request, asynchronous writes), to a file, not the console.
  const logDir = await mkdtemp(join(tmpdir(), 'bench-logs-'));
  cleanups.push(() => rm(logDir, { recursive: true, force: true }));
  const logFile = join(logDir, 'service.log');
  const logStream = pino.destination({ dest: logFile, sync: false });
  const app = await createApiApp(config, { logDestination: logStream });
  await app.listen(0, '127.0.0.1');
  cleanups.push(() => app.close());
  const serviceUrl = await app.getUrl();

  // The same tenants for both: a test key and one customer per project, one end user each.
  const tenants = Array.from({ length: PROJECTS }, (_, i) => ({
    projectId: randomUUID(),
    ownerId: randomUUID(),
    userId: randomUUID(),
    secretKey: `sk_test_bench${String(i).padStart(3, '0')}${randomBytes(12).toString('hex')}`,
    customerId: `cus_bench${String(i).padStart(3, '0')}`,
  }));
  const repository = app.get(ProjectsRepository);
  for (const [i, t] of tenants.entries()) {
    await repository.createProject({ id: t.projectId, name: `Bench ${i}`, ownerId: t.ownerId });
    await repository.setModeCredentials(t.projectId, 'test', { secretKey: t.secretKey });
    await repository.linkCustomer(t.projectId, t.userId, 'test', t.customerId);
  }

  // The baseline: its own database with the same schema and rows, the key stored in plaintext.
  const baselineDb = await baselineDatabase(tenants);
  const baseline = await startBaseline({ jwtSecret: JWT_SECRET, query: baselineDb.query, stripeUrl: stub.baseUrl });
  cleanups.push(() => baseline.close());

  const now = Math.floor(Date.now() / 1000);
  const tokens = tenants.map((t) =>
    jwt.sign({ sub: t.userId, type: 'access', project_id: t.projectId, iat: now, exp: now + 3600 }, JWT_SECRET, {
      algorithm: 'HS256',
      noTimestamp: true,
    }),
  );
  const requests = tokens.map((token) => ({
    method: 'POST',
    path: PORTAL_PATH,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ return_url: RETURN_URL }),
  }));

  for (const [name, url] of [
    ['baseline', baseline.url],
    ['service', serviceUrl],
  ]) {
    const check = await post(url, requests[0]);
    if (check.status !== 200) throw new Error(`${name}: sanity request answered ${check.status} ${check.body}`);
  }

  const servers = [
    ['baseline', baseline.url],
    ['service', serviceUrl],
  ].filter(([name]) => !ONLY || ONLY === name);
  for (const [, url] of servers) await load(url, requests, WARMUP);
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const results = {};
    for (const [name, url] of servers) results[name] = await measured(() => load(url, requests, DURATION));
    rounds.push(results);
  }
  printResults(rounds, stub.sessions);
  await new Promise((resolve, reject) => logStream.flush((error) => (error ? reject(error) : resolve())));
  const logged = (await readFile(logFile, 'utf8')).split('\n').filter((line) => line.includes('request completed'));
  const statuses = {};
  for (const line of logged) {
    const { status } = JSON.parse(line);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  console.log(`service request log lines: ${logged.length}, by status ${JSON.stringify(statuses)}`);
  const problems = (await readFile(logFile, 'utf8')).split('\n').filter((line) => /"level":"(warn|error)"/.test(line));
  if (problems.length > 0)
    console.log(`service warnings/errors (first 3 of ${problems.length}):\n${problems.slice(0, 3).join('\n')}`);

  if (ONLY) return;
  console.log(
    `\nstart-up: ${(await measureStartup()).toFixed(0)} ms from spawning main.js to the first 200 on /health`,
  );
}

/** A fresh PostgreSQL database (dropped at the end) when DATABASE_URL is set, else in-memory PGlite. */
async function freshDatabase(prefix) {
  if (!serverUrl) return { env: { PGLITE_DATA_DIR: 'memory://' } };
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { env: { DATABASE_URL: url.toString() }, url: url.toString() };
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The baseline's database (pg Pool or its own PGlite), migrated, with the tenants' rows; returns its query. */
async function baselineDatabase(tenants) {
  let query;
  if (serverUrl) {
    const { url } = await freshDatabase('bench_baseline');
    await applyMigrations({ kind: 'postgres', url });
    const pool = new pg.Pool({ connectionString: url, max: config().poolSize });
    cleanups.push(() => pool.end());
    query = (sql, params) => pool.query(sql, params);
  } else {
    const pglite = new PGlite();
    await pglite.waitReady;
    cleanups.push(() => pglite.close());
    await applyMigrations({ kind: 'pglite', pglite });
    query = (sql, params) => pglite.query(sql, params);
  }
  for (const t of tenants) {
    await query(`INSERT INTO projects (id, name, owner_id, updated_at) VALUES ($1, 'Bench', $2, now())`, [
      t.projectId,
      t.ownerId,
    ]);
    await query(`INSERT INTO stripe_configs (project_id, test_secret_key_enc, updated_at) VALUES ($1, $2, now())`, [
      t.projectId,
      t.secretKey,
    ]);
    await query(
      `INSERT INTO stripe_customers (id, project_id, user_id, mode, stripe_customer_id, updated_at)
       VALUES ($1, $2, $3, 'test', $4, now())`,
      [randomUUID(), t.projectId, t.userId, t.customerId],
    );
  }
  return { query };
}

/** The service's pool size, so the baseline's pg Pool has as many connections. */
function config() {
  return { poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) };
}

/** Runs autocannon in a child process for `duration` seconds against `url`. */
function load(url, requests, duration) {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench', 'load.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message) => (message.error ? reject(new Error(message.error)) : resolve(message.result)));
    child.once('error', reject);
    child.send({ url, connections: CONNECTIONS, duration, requests });
  });
}

/** The phase's result with this process's RSS before, at peak (sampled every 50 ms) and after. */
async function measured(phase) {
  const before = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  // Garbage collection pauses of this process: what a request allocates shows up here.
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  try {
    const result = await phase();
    const after = process.memoryUsage().rss;
    const cpu = process.cpuUsage(cpuBefore);
    const requests = Math.max(1, result.requests.total);
    // CPU time of this process (server + in-process stub) per answered request: steadier than req/s on a busy machine.
    const cpuPerRequestUs = (cpu.user + cpu.system) / requests;
    const gcPerRequestUs = (gcMs * 1000) / requests;
    return { result, rss: { before, peak: Math.max(peak, after), after }, cpuPerRequestUs, gcPerRequestUs };
  } finally {
    clearInterval(sampler);
    gcObserver.disconnect();
  }
}

function printResults(rounds, stubSessions) {
  const rows = rounds.flatMap((results, index) =>
    Object.entries(results).map(([name, { result, rss, cpuPerRequestUs, gcPerRequestUs }]) => ({
      round: index + 1,
      server: name,
      'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      'max ms': result.latency.max,
      '2xx': result['2xx'],
      'errors/non-2xx': `${result.errors + result.timeouts}/${result.non2xx}`,
      'CPU µs/req': Math.round(cpuPerRequestUs),
      'GC µs/req': Math.round(gcPerRequestUs),
      'RSS before/peak/after': `${mb(rss.before)}/${mb(rss.peak)}/${mb(rss.after)}`,
    })),
  );
  console.log();
  console.table(rows);
  if (!rounds[0].baseline || !rounds[0].service) return;
  const ratios = rounds.map(({ baseline, service }) => ({
    throughput: service.result.requests.average / baseline.result.requests.average,
    p99: service.result.latency.p99 / baseline.result.latency.p99,
  }));
  const errors = rounds.reduce(
    (sum, { service }) => sum + service.result.errors + service.result.timeouts + service.result.non2xx,
    0,
  );
  const list = (key) => ratios.map((ratio) => `${ratio[key].toFixed(2)}x`).join(', ');
  console.log(
    `throughput service/baseline: median ${median(ratios, 'throughput').toFixed(2)}x of ${list('throughput')} (target >= 0.75x)`,
  );
  console.log(
    `p99 service/baseline:        median ${median(ratios, 'p99').toFixed(2)}x of ${list('p99')} (target <= 1.5x)`,
  );
  console.log(`service errors + non-2xx:    ${errors} (target 0)`);
  console.log(`Stripe stub sessions created: ${stubSessions}`);
}

function median(items, key) {
  const sorted = items.map((item) => item[key]).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Spawns main.js on a PGlite data dir that already exists (one earlier start) until /health answers 200. */
async function measureStartup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-pglite-'));
  try {
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      JWT_SECRET,
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      PGLITE_DATA_DIR: dataDir,
    };
    delete env.DATABASE_URL;
    await startOnce(env); // creates and migrates the data directory
    return await startOnce(env);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function startOnce(env) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=64', join(root, 'dist/apps/api/src/main.js')], {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}`);
      if ((await healthStatus(port)) === 200) return performance.now() - started;
      await sleep(10);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function healthStatus(port) {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function post(baseUrl, { path, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
