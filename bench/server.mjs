import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { pino } from 'pino';
import { startBaseline } from './baseline.mjs';

/*
 * One server under test, in a process of its own (forked by run.mjs), so the service and the baseline share neither a
 * V8 heap, nor JIT state, nor an event loop. The parent drives it over IPC:
 *   {start: {kind: 'service' | 'baseline', ...}} -> {url}
 *   {measure: 'begin'} / {measure: 'end'} -> {cpuUs, gcMs, rss: {before, peak, after}}
 *   {logs: true} -> {statuses, problems} (the service only: its request log, flushed)
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => join(root, 'dist', path);

let server;
let measurement;

// The bench stops this process with SIGINT: exit through Node, so that --cpu-prof (BENCH_NODE_FLAGS) writes its profile.
process.once('SIGINT', () => process.exit(0));

process.on('message', (message) => {
  handle(message).then(
    (reply) => process.send({ reply }),
    (error) => process.send({ error: error?.stack ?? String(error) }),
  );
});

async function handle(message) {
  if (message.start) {
    server =
      message.start.kind === 'service' ? await startService(message.start) : await startBaselineServer(message.start);
    return { url: server.url };
  }
  if (message.measure === 'begin') {
    measurement = beginMeasurement();
    return {};
  }
  if (message.measure === 'end') return measurement.end();
  if (message.logs) return server.logs();
  throw new Error(`unknown message ${JSON.stringify(message)}`);
}

/** The real app from dist/, wired as in production, its tenants provisioned through its own repository. */
async function startService({ env, tenants, logFile }) {
  const { createApiApp } = await import(dist('apps/api/src/configure-app.js'));
  const { loadConfig } = await import(dist('libs/config/src/index.js'));
  const { OPERATOR, ProjectsRepository, StripeConfigService, StripeCustomersRepository } = await import(
    dist('libs/projects/src/index.js')
  );
  // Production logging (LOG_LEVEL's default, one JSON line per request, asynchronous writes), to a file.
  const logStream = pino.destination({ dest: logFile, sync: false });
  const app = await createApiApp(loadConfig(env), { logDestination: logStream });
  await app.listen(0, '127.0.0.1');
  for (const [i, t] of tenants.entries()) {
    await app.get(ProjectsRepository).create({ id: t.projectId, name: `Bench ${i}`, ownerId: t.ownerId });
    await app.get(StripeConfigService).update(t.projectId, OPERATOR, { test_secret_key: t.secretKey });
    await app.get(StripeCustomersRepository).link(t.projectId, t.userId, 'test', t.customerId);
  }
  return {
    url: await app.getUrl(),
    logs: async () => {
      await new Promise((resolve, reject) => logStream.flush((error) => (error ? reject(error) : resolve())));
      const lines = (await readFile(logFile, 'utf8')).split('\n');
      const statuses = {};
      for (const line of lines.filter((l) => l.includes('request completed'))) {
        const { status } = JSON.parse(line);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      return { statuses, problems: lines.filter((line) => /"level":"(warn|error)"/.test(line)) };
    },
  };
}

/**
 * The bare baseline on its own database (pg Pool or its own PGlite) with the same schema and rows. `prepared`
 * (BENCH_BASELINE_PREPARED=1) sends its one query as a named statement, parsed and planned once, as the service does:
 * the comparison of the layers alone, without the service's statement advantage.
 */
async function startBaselineServer({ jwtSecret, stripeUrl, databaseUrl, poolSize, tenants, prepared }) {
  const { applyMigrations } = await import(dist('libs/database/src/index.js'));
  let query;
  let portalQuery;
  if (databaseUrl) {
    await applyMigrations({ kind: 'postgres', url: databaseUrl });
    const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
    query = (sql, params) => pool.query(sql, params);
    portalQuery = prepared ? (text, values) => pool.query({ name: 'baseline_portal', text, values }) : query;
  } else {
    const pglite = new PGlite();
    await pglite.waitReady;
    await applyMigrations({ kind: 'pglite', pglite });
    query = (sql, params) => pglite.query(sql, params);
    portalQuery = query;
    if (prepared) {
      const client = new pg.Client(createPgConfig(pglite));
      await client.connect();
      // Both of PGlite's locks, as its own query() and the service take them.
      portalQuery = (text, values) =>
        pglite._runExclusiveTransaction(() =>
          pglite.runExclusive(() => client.query({ name: 'baseline_portal', text, values })),
        );
    }
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
  const { url } = await startBaseline({ jwtSecret, query: portalQuery, stripeUrl });
  return { url };
}

/** CPU time, garbage-collection pauses and RSS (before, peak sampled every 50 ms, after) of this process. */
function beginMeasurement() {
  const before = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  return {
    end() {
      clearInterval(sampler);
      for (const entry of gcObserver.takeRecords()) gcMs += entry.duration;
      gcObserver.disconnect();
      const after = process.memoryUsage().rss;
      const cpu = process.cpuUsage(cpuBefore);
      return { cpuUs: cpu.user + cpu.system, gcMs, rss: { before, peak: Math.max(peak, after), after } };
    },
  };
}
