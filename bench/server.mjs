import 'reflect-metadata';
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
 *   {memory: true} -> {rss, heapUsed} after a full garbage collection
 */

let root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
    // The build under test: this checkout's, or another's for an A/B run (BENCH_COMPARE_ROOT).
    root = message.start.root;
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
  if (message.memory) {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    return { rss, heapUsed };
  }
  throw new Error(`unknown message ${JSON.stringify(message)}`);
}

/** The real app from dist/, wired as in production, its tenants provisioned through its own repositories. */
async function startService({ env, tenants, logFile }) {
  const { createApiApp } = await import(dist('apps/api/src/configure-app.js'));
  const { loadConfig } = await import(dist('libs/config/src/index.js'));
  const { PrismaService } = await import(dist('libs/database/src/index.js'));
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
    for (const user of t.users) {
      await app.get(StripeCustomersRepository).link(t.projectId, user.userId, 'test', user.customerId);
    }
  }
  const prisma = app.get(PrismaService);
  await insertSubscriptions((text, values) => prisma.$executeRawUnsafe(text, ...values), tenants);
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

/** Every user has an active monthly subscription (what my-subscription reads), the same rows on both sides. */
function insertSubscriptions(execute, tenants) {
  const users = tenants.flatMap((t) => t.users.map((user) => ({ ...user, projectId: t.projectId })));
  return execute(
    `INSERT INTO subscriptions (id, project_id, mode, user_id, stripe_subscription_id, stripe_customer_id, status,
                                price_id, plan_name, quantity, current_period_start, current_period_end, created_at,
                                fetched_at, updated_at)
     SELECT gen_random_uuid(), p, 'test', u, 'sub_' || c, c, 'active', 'price_benchMonthly', 'Pro', 1,
            now() - interval '3 days', now() + interval '27 days', now() - interval '3 days', now(), now()
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(p, u, c)`,
    [users.map((u) => u.projectId), users.map((u) => u.userId), users.map((u) => u.customerId)],
  );
}

/**
 * The bare baseline on its own database (pg Pool or its own PGlite) with the same schema and rows, the keys stored in
 * plaintext. It sends the service's own statements (imported from dist/) as named statements, parsed and planned once
 * per connection as the service's are; on PGlite through node-postgres over PGlite under both of PGlite's locks, as
 * the service's own exchange takes them.
 */
async function startBaselineServer({ jwtSecret, stripeUrl, databaseUrl, poolSize, tenants }) {
  const { applyMigrations } = await import(dist('libs/database/src/index.js'));
  let named;
  if (databaseUrl) {
    await applyMigrations({ kind: 'postgres', url: databaseUrl });
    const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
    named = (statement, values) => pool.query({ ...statement, values });
  } else {
    const pglite = new PGlite();
    await pglite.waitReady;
    await applyMigrations({ kind: 'pglite', pglite });
    const client = new pg.Client(createPgConfig(pglite));
    await client.connect();
    named = (statement, values) =>
      pglite._runExclusiveTransaction(() => pglite.runExclusive(() => client.query({ ...statement, values })));
  }
  const plain = (text, values) => named({ text }, values);
  for (const t of tenants) {
    await plain(`INSERT INTO projects (id, name, owner_id, updated_at) VALUES ($1, 'Bench', $2, now())`, [
      t.projectId,
      t.ownerId,
    ]);
    await plain(`INSERT INTO stripe_configs (project_id, test_secret_key_enc, updated_at) VALUES ($1, $2, now())`, [
      t.projectId,
      t.secretKey,
    ]);
    await plain(
      `INSERT INTO stripe_customers (id, project_id, user_id, mode, stripe_customer_id, updated_at)
       SELECT gen_random_uuid(), $1, u, 'test', c, now() FROM unnest($2::uuid[], $3::text[]) AS t(u, c)`,
      [t.projectId, t.users.map((u) => u.userId), t.users.map((u) => u.customerId)],
    );
  }
  await insertSubscriptions(plain, tenants);
  const { url } = await startBaseline({
    jwtSecret,
    query: named,
    stripeUrl,
    sql: await serviceStatements(),
    stripeOptions: await serviceStripeOptions(),
  });
  return { url };
}

/** The options StripeClientFactory builds its clients with, under the service's default configuration. */
async function serviceStripeOptions() {
  const { loadConfig } = await import(dist('libs/config/src/index.js'));
  const { STRIPE_API_VERSION } = await import(dist('libs/stripe/src/index.js'));
  const { stripe } = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(32),
    SECRETS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
  });
  return {
    apiVersion: STRIPE_API_VERSION,
    telemetry: false,
    timeout: stripe.timeoutMs,
    maxNetworkRetries: stripe.maxNetworkRetries,
    appInfo: { name: 'stripe-subscriptions-service' },
  };
}

/** The service's own hot-path statements, from dist/. */
async function serviceStatements() {
  const { PORTAL_CONTEXT_SQL, CHECKOUT_CONTEXT_SQL } = await import(
    dist('libs/projects/src/stripe-config.repository.js')
  );
  const { CHECKOUT_FINISH_SQL } = await import(dist('libs/billing-records/src/checkout-sessions.repository.js'));
  const { CURRENT_SUBSCRIPTION_SQL } = await import(dist('libs/billing-records/src/subscriptions.repository.js'));
  return {
    portal: PORTAL_CONTEXT_SQL.test,
    checkoutContext: CHECKOUT_CONTEXT_SQL.test,
    checkoutFinish: CHECKOUT_FINISH_SQL,
    mySubscription: CURRENT_SUBSCRIPTION_SQL.test,
  };
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
