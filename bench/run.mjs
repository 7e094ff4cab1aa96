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
 * npm run bench: the hot end-user endpoints of the real service (from dist/) against a bare node:http baseline doing
 * the same essential work (the service's own SQL as named statements, the same Stripe client options), both on the
 * same Stripe stub and database engine, each server in a process of its own (server.mjs), driven by autocannon from
 * another child process, with 10,000 distinct tokens over 1,000 users. Prints numbers; it asserts nothing. See
 * bench/README.md.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 20);
const USERS_PER_PROJECT = Number(process.env.BENCH_USERS_PER_PROJECT ?? 50);
// Distinct tokens per user: no cache of verified tokens gives either server work for free.
const TOKENS_PER_USER = Number(process.env.BENCH_TOKENS_PER_USER ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
// Baseline and service alternate for this many rounds: on a shared VM the machine's speed drifts between runs, so each
// round's ratio compares two neighbouring phases, and the median over the rounds is the verdict.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ENGINES = (process.env.BENCH_ENGINES ?? (process.env.DATABASE_URL ? 'pglite,postgres' : 'pglite')).split(',');
const RETURN_URL = 'https://myapp.example.com/account/billing';
const JWT_SECRET = randomBytes(32).toString('base64url');
// BENCH_ONLY=service (or baseline) measures one side only; ratios need both.
const ONLY = process.env.BENCH_ONLY;
// The service's production flag (package.json start:prod, Dockerfile); the baseline gets the same runtime. --expose-gc
// only lets the bench read RSS after a full collection (idle and at the end).
const NODE_FLAGS = ['--max-semi-space-size=64'];
// Extra flags for the server processes only, e.g. BENCH_NODE_FLAGS=--cpu-prof to profile them.
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
// Extra settings for the service, as JSON, for A/B runs: e.g. BENCH_SERVICE_ENV='{"LOG_LEVEL":"warn"}'.
const SERVICE_ENV = JSON.parse(process.env.BENCH_SERVICE_ENV ?? '{}');
// A/B of two builds: another checkout's root (built, e.g. the commit before a change) takes the baseline's place, so
// each change is measured before/after in the same run; the ratios then read after/before.
const COMPARE_ROOT = process.env.BENCH_COMPARE_ROOT;

/** What each endpoint's requests look like; every request is a returning user's (customer linked, subscribed). */
const ENDPOINTS = {
  portal: (token) => ({
    method: 'POST',
    path: '/api/v1/payments/stripe/customer-portal?test_mode=true',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ return_url: RETURN_URL }),
  }),
  // A one-time purchase: a returning customer may buy again and again, each time one new session.
  checkout: (token) => ({
    method: 'POST',
    path: '/api/v1/payments/stripe/checkout-session?test_mode=true',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      price_id: 'price_benchOnce',
      mode: 'payment',
      success_url: 'https://myapp.example.com/thanks?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://myapp.example.com/pricing',
    }),
  }),
  'my-subscription': (token) => ({
    method: 'GET',
    path: '/api/v1/payments/stripe/my-subscription?test_mode=true',
    headers: { authorization: `Bearer ${token}` },
  }),
};
const ENDPOINT_NAMES = (process.env.BENCH_ENDPOINTS ?? Object.keys(ENDPOINTS).join(',')).split(',');

const cleanups = [];
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error('cleanup:', error));
}

async function main() {
  const users = PROJECTS * USERS_PER_PROJECT;
  console.log(
    `bench: ${ENDPOINT_NAMES.join(', ')} on ${ENGINES.join(' and ')}; ${PROJECTS} projects, ${users} users, ` +
      `${users * TOKENS_PER_USER} distinct tokens, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${ROUNDS} x ` +
      `${DURATION} s per server, Node ${process.version}`,
  );
  if (COMPARE_ROOT) console.log(`A/B: the build in ${COMPARE_ROOT} runs in the baseline's place (ratios: this/that)`);
  const stub = await startStripeStub();
  cleanups.push(() => stub.close());

  // The same tenants for both: a test key per project, and for each user a linked customer and an active subscription.
  const tenants = Array.from({ length: PROJECTS }, (_, p) => ({
    projectId: randomUUID(),
    ownerId: randomUUID(),
    secretKey: `sk_test_bench${String(p).padStart(3, '0')}${randomBytes(12).toString('hex')}`,
    users: Array.from({ length: USERS_PER_PROJECT }, (_, u) => ({
      userId: randomUUID(),
      customerId: `cus_bench${String(p).padStart(3, '0')}x${String(u).padStart(3, '0')}`,
    })),
  }));
  // Token k of every user, then token k + 1 of every user, ...: neighbouring requests are different users'.
  const now = Math.floor(Date.now() / 1000);
  const everyone = tenants.flatMap((t) => t.users.map((user) => ({ ...user, projectId: t.projectId })));
  const tokens = Array.from({ length: TOKENS_PER_USER }, (_, k) =>
    everyone.map((user) =>
      jwt.sign(
        { sub: user.userId, type: 'access', project_id: user.projectId, iat: now - k, exp: now + 3600 },
        JWT_SECRET,
        { algorithm: 'HS256', noTimestamp: true },
      ),
    ),
  ).flat();

  const summary = [];
  for (const engine of ENGINES) {
    const pair = await startPair(engine, tenants, stub);
    const idle = await pair.service.ask({ memory: true });
    for (const endpoint of ENDPOINT_NAMES) {
      const requests = tokens.map((token) => ENDPOINTS[endpoint](token));
      const rounds = await measureEndpoint(pair, requests);
      summary.push({ engine, endpoint, ...printRounds(`${endpoint} on ${engine}`, rounds) });
    }
    const loaded = await pair.service.ask({ memory: true });
    console.log(
      `service RSS on ${engine} after a full GC: idle ${mb(idle.rss)}, after the load ${mb(loaded.rss)} ` +
        `(heap used ${mb(idle.heapUsed)} -> ${mb(loaded.heapUsed)})`,
    );
    const { statuses, problems } = await pair.service.ask({ logs: true });
    const logged = Object.values(statuses).reduce((sum, n) => sum + n, 0);
    console.log(`service request log lines: ${logged}, by status ${JSON.stringify(statuses)}`);
    if (problems.length > 0)
      console.log(`service warnings/errors (first 3 of ${problems.length}):\n${problems.slice(0, 3).join('\n')}`);
    await pair.stop();
  }
  console.log(`\nStripe stub sessions created: ${JSON.stringify(stub.created)}`);
  if (ONLY) return;
  console.log('\nSummary (medians over the rounds; targets: throughput >= 0.75x, p99 <= 1.5x, zero errors):');
  console.table(summary);
  console.log(
    `\nstart-up: ${(await measureStartup()).toFixed(0)} ms from spawning main.js to the first 200 on /health`,
  );
}

/** The service and the baseline (or, with BENCH_COMPARE_ROOT, the other build) on fresh databases of `engine`. */
async function startPair(engine, tenants, stub) {
  const logDir = await mkdtemp(join(tmpdir(), 'bench-logs-'));
  const serviceDb = await freshDatabase(engine, 'bench_service');
  const serviceEnv = (db) => ({
    NODE_ENV: 'production',
    JWT_SECRET,
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STRIPE_API_BASE_URL: stub.baseUrl,
    // One address and 1,000 users send thousands of requests a second: limits high enough never to refuse, still
    // counted.
    RATE_LIMIT_USER_PER_MINUTE: '1000000000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000000',
    // The baseline's pg Pool has as many connections.
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    ...db.env,
    ...SERVICE_ENV,
  });
  const service = await startServer({
    kind: 'service',
    root,
    tenants,
    logFile: join(logDir, 'service.log'),
    env: serviceEnv(serviceDb),
  });
  const baselineDb = await freshDatabase(engine, 'bench_baseline');
  const baseline = COMPARE_ROOT
    ? await startServer({
        kind: 'service',
        root: COMPARE_ROOT,
        tenants,
        logFile: join(logDir, 'compared.log'),
        env: serviceEnv(baselineDb),
      })
    : await startServer({
        kind: 'baseline',
        root,
        tenants,
        jwtSecret: JWT_SECRET,
        stripeUrl: stub.baseUrl,
        databaseUrl: baselineDb.url,
        poolSize: POOL_SIZE,
      });
  return {
    service,
    baseline,
    stop: async () => {
      await service.stop();
      await baseline.stop();
      await serviceDb.drop();
      await baselineDb.drop();
      await rm(logDir, { recursive: true, force: true });
    },
  };
}

/** Sanity request, warm-up, then ROUNDS rounds alternating baseline and service. */
async function measureEndpoint({ service, baseline }, requests) {
  for (const [name, server] of [
    ['baseline', baseline],
    ['service', service],
  ]) {
    const check = await send(server.url, requests[0]);
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
  return rounds;
}

/** Forks server.mjs, starts the server in it and returns {url, ask(message), stop()}. */
async function startServer(options) {
  const child = fork(join(root, 'bench', 'server.mjs'), {
    execArgv: [...NODE_FLAGS, '--expose-gc', ...EXTRA_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    // SIGINT lets the server's process exit through Node, so --cpu-prof writes its profile.
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  };
  cleanups.push(stop);
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
  return { url, ask, stop };
}

/** A fresh PostgreSQL database (dropped by `drop`), or in-memory PGlite. */
async function freshDatabase(engine, prefix) {
  if (engine === 'pglite') return { env: { PGLITE_DATA_DIR: 'memory://' }, drop: async () => undefined };
  if (engine !== 'postgres') throw new Error(`BENCH_ENGINES: unknown engine ${engine} (pglite, postgres)`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const drop = () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  cleanups.push(drop);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { env: { DATABASE_URL: url.toString() }, url: url.toString(), drop };
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
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
    child.send({ url, connections: CONNECTIONS, duration, requests, users: PROJECTS * USERS_PER_PROJECT });
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

/** One endpoint's rounds as a table and its ratios; returns the summary row. */
function printRounds(title, rounds) {
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
  console.log(`\n${title}`);
  console.table(rows);
  if (!rounds[0].baseline || !rounds[0].service) return {};
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
    `throughput service/baseline: median ${median(ratios, 'throughput').toFixed(2)}x of ${list('throughput')}`,
  );
  console.log(`p99 service/baseline:        median ${median(ratios, 'p99').toFixed(2)}x of ${list('p99')}`);
  const perRequest = (side, key) =>
    Math.round(
      median(
        rounds.map((round) => round[side]),
        key,
      ),
    );
  return {
    throughput: `${median(ratios, 'throughput').toFixed(2)}x`,
    p99: `${median(ratios, 'p99').toFixed(2)}x`,
    'service errors': errors,
    'CPU µs/req service/baseline': `${perRequest('service', 'cpuPerRequestUs')}/${perRequest('baseline', 'cpuPerRequestUs')}`,
    'GC µs/req service/baseline': `${perRequest('service', 'gcPerRequestUs')}/${perRequest('baseline', 'gcPerRequestUs')}`,
  };
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

function send(baseUrl, { method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
