import { fork, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { startStripeStub } from './stripe-stub.mjs';

/*
 * npm run bench: the customer-portal endpoint of the real service (from dist/) against a bare node:http baseline doing
 * only the essential work, both on the same Stripe stub and database kind, each server in a process of its own
 * (server.mjs), driven by autocannon from another child process. Prints numbers; it asserts nothing. See
 * bench/README.md.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
// Baseline and service alternate for this many rounds: on a shared VM the machine's speed drifts between runs, so each
// round's ratio compares two neighbouring phases, and the median over the rounds is the verdict.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const PORTAL_PATH = '/api/v1/payments/stripe/customer-portal?test_mode=true';
const RETURN_URL = 'https://myapp.example.com/account/billing';
const JWT_SECRET = randomBytes(32).toString('base64url');
const serverUrl = process.env.DATABASE_URL;
// BENCH_ONLY=service (or baseline) measures one side only; ratios need both.
const ONLY = process.env.BENCH_ONLY;
// The baseline's query as a named statement (as the service's): the layers alone, without the statement advantage.
const PREPARED_BASELINE = process.env.BENCH_BASELINE_PREPARED === '1';
// The service's production flag (package.json start:prod, Dockerfile); the baseline gets the same runtime.
const NODE_FLAGS = ['--max-semi-space-size=64'];
// Extra flags for the server processes only, e.g. BENCH_NODE_FLAGS=--cpu-prof to profile them.
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

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
      `database ${serverUrl ? 'PostgreSQL' : 'PGlite memory://'}, ` +
      `baseline query ${PREPARED_BASELINE ? 'prepared (named statement)' : 'unprepared'}, Node ${process.version}`,
  );
  const stub = await startStripeStub();
  cleanups.push(() => stub.close());

  // The same tenants for both: a test key and one customer per project, one end user each.
  const tenants = Array.from({ length: PROJECTS }, (_, i) => ({
    projectId: randomUUID(),
    ownerId: randomUUID(),
    userId: randomUUID(),
    secretKey: `sk_test_bench${String(i).padStart(3, '0')}${randomBytes(12).toString('hex')}`,
    customerId: `cus_bench${String(i).padStart(3, '0')}`,
  }));

  const logDir = await mkdtemp(join(tmpdir(), 'bench-logs-'));
  cleanups.push(() => rm(logDir, { recursive: true, force: true }));
  const serviceDb = await freshDatabase('bench_service');
  const service = await startServer({
    kind: 'service',
    tenants,
    logFile: join(logDir, 'service.log'),
    env: {
      NODE_ENV: 'production',
      JWT_SECRET,
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      STRIPE_API_BASE_URL: stub.baseUrl,
      // One address and 20 users send thousands of requests a second: limits high enough never to refuse, still counted.
      RATE_LIMIT_USER_PER_MINUTE: '1000000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000000',
      // The baseline's pg Pool has as many connections.
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      ...serviceDb.env,
    },
  });
  // The baseline: its own database with the same schema and rows, the key stored in plaintext.
  const baselineDb = await freshDatabase('bench_baseline');
  const baseline = await startServer({
    kind: 'baseline',
    tenants,
    jwtSecret: JWT_SECRET,
    stripeUrl: stub.baseUrl,
    databaseUrl: baselineDb.url,
    poolSize: POOL_SIZE,
    prepared: PREPARED_BASELINE,
  });

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

  for (const [name, server] of [
    ['baseline', baseline],
    ['service', service],
  ]) {
    const check = await post(server.url, requests[0]);
    if (check.status !== 200) throw new Error(`${name}: sanity request answered ${check.status} ${check.body}`);
  }

  const servers = [
    ['baseline', baseline],
    ['service', service],
  ].filter(([name]) => !ONLY || ONLY === name);
  for (const [, server] of servers) await load(server.url, requests, WARMUP);
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const results = {};
    for (const [name, server] of servers)
      results[name] = await measured(server, () => load(server.url, requests, DURATION));
    rounds.push(results);
  }
  printResults(rounds, stub.sessions);
  const { statuses, problems } = await service.ask({ logs: true });
  const logged = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  console.log(`service request log lines: ${logged}, by status ${JSON.stringify(statuses)}`);
  if (problems.length > 0)
    console.log(`service warnings/errors (first 3 of ${problems.length}):\n${problems.slice(0, 3).join('\n')}`);

  if (ONLY) return;
  console.log(
    `\nstart-up: ${(await measureStartup()).toFixed(0)} ms from spawning main.js to the first 200 on /health`,
  );
}

/** Forks server.mjs, starts the server in it and returns {url, ask(message)}; killed at the end. */
async function startServer(options) {
  const child = fork(join(root, 'bench', 'server.mjs'), {
    execArgv: [...NODE_FLAGS, ...EXTRA_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    // SIGINT lets the server's process exit through Node, so --cpu-prof writes its profile.
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  });
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`${options.kind} exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', ({ reply, error }) => {
        child.off('exit', onExit);
        if (error) reject(new Error(`${options.kind}: ${error}`));
        else resolve(reply);
      });
      child.send(message);
    });
  const { url } = await ask({ start: options });
  return { url, ask };
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

/** Runs autocannon in a child process for `duration` seconds against `url`. */
function load(url, requests, duration) {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench', 'load.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message) => (message.error ? reject(new Error(message.error)) : resolve(message.result)));
    child.once('error', reject);
    child.send({ url, connections: CONNECTIONS, duration, requests });
  });
}

/** The phase's result with the server process's CPU time, GC pauses and RSS, and the stub's (this process's) CPU. */
async function measured(server, phase) {
  await server.ask({ measure: 'begin' });
  const stubCpuBefore = process.cpuUsage();
  const result = await phase();
  const stubCpu = process.cpuUsage(stubCpuBefore);
  const { cpuUs, gcMs, rss } = await server.ask({ measure: 'end' });
  const requests = Math.max(1, result.requests.total);
  return {
    result,
    rss,
    // CPU time of the server's process per answered request: steadier than req/s on a busy machine.
    cpuPerRequestUs: cpuUs / requests,
    gcPerRequestUs: (gcMs * 1000) / requests,
    stubCpuPerRequestUs: (stubCpu.user + stubCpu.system) / requests,
  };
}

function printResults(rounds, stubSessions) {
  const rows = rounds.flatMap((results, index) =>
    Object.entries(results).map(([name, { result, rss, cpuPerRequestUs, gcPerRequestUs, stubCpuPerRequestUs }]) => ({
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
      'stub CPU µs/req': Math.round(stubCpuPerRequestUs),
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
  const child = spawn(process.execPath, [...NODE_FLAGS, join(root, 'dist/apps/api/src/main.js')], {
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
