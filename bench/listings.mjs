import { randomBytes, randomUUID } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import jwt from 'jsonwebtoken';
import pg from 'pg';

/*
 * npm run bench:listings: the developer listings and figures at size on PostgreSQL. 200 projects, 100,000
 * subscriptions and 300,000 payments (both modes, ten statuses, three currencies), half of them one developer's (100
 * projects), the rest 20 developers' with 5 projects each. Sequential requests to the real app from dist/; prints each
 * route's latency and the plans of the statements behind them. Asserts nothing. See bench/README.md.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => pathToFileURL(join(root, 'dist', path)).href;
const serverUrl = process.env.DATABASE_URL;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
if (!serverUrl) throw new Error('bench:listings needs DATABASE_URL (PostgreSQL)');

const JWT_SECRET = randomBytes(32).toString('base64url');
const large = randomUUID();
const small = randomUUID();
const name = `bench_listings_${randomBytes(6).toString('hex')}`;
const admin = async (sql) => {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};
const url = new URL(serverUrl);
url.pathname = `/${name}`;

await admin(`CREATE DATABASE "${name}"`);
let app;
try {
  const { createApiApp } = await import(dist('apps/api/src/configure-app.js'));
  const { loadConfig } = await import(dist('libs/config/src/index.js'));
  app = await createApiApp(
    loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET,
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: url.toString(),
      LOG_LEVEL: 'warn',
    }),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();

  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  const seedStarted = performance.now();
  await seed(db);
  console.log(`seeded and analysed in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const { rows: projects } = await db.query('SELECT id FROM projects WHERE owner_id = $1 ORDER BY id LIMIT 1', [large]);
  const project = projects[0].id;
  const routes = [
    ['project subscriptions, page 1', `/api/v1/payments/stripe/projects/${project}/subscriptions`],
    ['project subscriptions, last page', `/api/v1/payments/stripe/projects/${project}/subscriptions?page=8`],
    [
      'project subscriptions, status=past_due',
      `/api/v1/payments/stripe/projects/${project}/subscriptions?status=past_due`,
    ],
    ['project payments, page 1', `/api/v1/payments/stripe/projects/${project}/payments`],
    ['project payments, status=failed', `/api/v1/payments/stripe/projects/${project}/payments?status=failed`],
    ['subscriptions, page 1', '/api/v1/payments/subscriptions'],
    ['subscriptions, page 20', '/api/v1/payments/subscriptions?page=20'],
    ['subscriptions, test_mode=false', '/api/v1/payments/subscriptions?test_mode=false'],
    ['subscriptions, status=unpaid', '/api/v1/payments/subscriptions?status=unpaid'],
    ['subscriptions, project_id', `/api/v1/payments/subscriptions?project_id=${project}`],
    ['transactions, page 1', '/api/v1/payments/transactions'],
    ['transactions, page 20', '/api/v1/payments/transactions?page=20'],
    ['transactions, status=pending', '/api/v1/payments/transactions?status=pending'],
    ['transactions, project_id + test_mode', `/api/v1/payments/transactions?project_id=${project}&test_mode=true`],
    ['stats (test and live)', '/api/v1/payments/stats'],
    ['stats (live only)', '/api/v1/payments/stats?test_mode=false'],
  ];
  for (const [who, owner] of [
    ['developer with 100 projects (50,000 subscriptions, 150,000 payments)', large],
    ['developer with 5 projects (2,500 subscriptions, 7,500 payments)', small],
  ]) {
    console.log(`\n${who}: ${SAMPLES} sequential requests each after 5 warm-up, ms`);
    console.log(`${'route'.padEnd(42)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}  total`);
    const token = developerToken(owner);
    for (const [label, path] of routes) {
      // The small developer does not own the large one's project: their per-project routes use one of theirs.
      const own = owner === small ? path.replaceAll(project, await firstProject(db, small)) : path;
      const { p50, p95, max, total } = await measure(`${base}${own}`, token);
      console.log(`${label.padEnd(42)} ${p50.padStart(7)} ${p95.padStart(7)} ${max.padStart(7)}  ${total}`);
    }
  }

  await explainPlans(db, project);
  await db.end();
} finally {
  await app?.close();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

function developerToken(sub) {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ sub, type: 'access', iat: now, exp: now + 3600 }, JWT_SECRET, {
    algorithm: 'HS256',
    noTimestamp: true,
  });
}

async function firstProject(db, owner) {
  return (await db.query('SELECT id FROM projects WHERE owner_id = $1 ORDER BY id LIMIT 1', [owner])).rows[0].id;
}

async function measure(target, token) {
  const times = [];
  let total;
  for (let i = 0; i < 5 + SAMPLES; i += 1) {
    const started = performance.now();
    const { status, body } = await getJson(target, token);
    const elapsed = performance.now() - started;
    if (status !== 200) throw new Error(`${target}: ${status} ${JSON.stringify(body)}`);
    if (i >= 5) times.push(elapsed);
    total = body.total ?? `${body.total_payments} payments`;
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  return { p50: at(0.5), p95: at(0.95), max: times[times.length - 1].toFixed(1), total };
}

function getJson(target, token) {
  return new Promise((resolve, reject) => {
    httpGet(target, { headers: { Authorization: `Bearer ${token}` } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

/** The data, written in bulk with SQL (the repositories' row-by-row writes would take minutes). */
async function seed(db) {
  const owners = [large, ...Array.from({ length: 20 }, (_, i) => (i === 0 ? small : randomUUID()))];
  await db.query(
    `INSERT INTO projects (id, name, owner_id, created_at, updated_at)
     SELECT gen_random_uuid(), 'Bench ' || i,
            CASE WHEN i < 100 THEN $1::uuid ELSE ($2::uuid[])[1 + (i - 100) / 5] END, now(), now()
       FROM generate_series(0, 199) i`,
    [large, `{${owners.slice(1).join(',')}}`],
  );
  await db.query(`INSERT INTO stripe_configs (project_id, test_secret_key_enc, live_secret_key_enc, updated_at)
                  SELECT id, 'v1.bench', CASE WHEN random() < 0.3 THEN 'v1.bench' END, now() FROM projects`);
  await db.query(`CREATE TEMP TABLE numbered AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM projects`);
  // Times spread over a year, one second apart at most per project: ties happen, as with Stripe's second resolution.
  await db.query(`
    INSERT INTO subscriptions (id, project_id, mode, user_id, stripe_subscription_id, stripe_customer_id, status,
                               plan_name, quantity, created_at, fetched_at, updated_at)
    SELECT gen_random_uuid(), p.id, CASE WHEN (i / 7) % 4 = 0 THEN 'live' ELSE 'test' END::"StripeMode", gen_random_uuid(),
           'sub_' || i, 'cus_' || i,
           (ARRAY['active','active','active','trialing','past_due','canceled','canceled','incomplete','unpaid',
                  'paused'])[1 + (i / 200) % 10],
           'Pro', 1, now() - (i % 31536000) * interval '1 second', now(), now()
      FROM generate_series(1, 100000) i JOIN numbered p ON p.n = i % 200`);
  await db.query(`
    INSERT INTO payments (id, project_id, mode, user_id, stripe_source_id, payment_intent_id, status, amount_cents,
                          currency, created_at, fetched_at, updated_at)
    SELECT gen_random_uuid(), p.id, CASE WHEN (i / 7) % 4 = 0 THEN 'live' ELSE 'test' END::"StripeMode", gen_random_uuid(),
           'in_' || i, 'pi_' || i,
           (ARRAY['succeeded','succeeded','succeeded','succeeded','succeeded','succeeded','failed','pending',
                  'refunded','succeeded'])[1 + (i / 200) % 10],
           500 + i % 5000, (ARRAY['usd','usd','usd','eur','gbp'])[1 + (i / 200) % 5],
           now() - (i % 31536000) * interval '1 second', now(), now()
      FROM generate_series(1, 300000) i JOIN numbered p ON p.n = i % 200`);
  await db.query('VACUUM ANALYZE projects, stripe_configs, subscriptions, payments');
}

/** EXPLAIN ANALYZE of the statements behind the routes, for the large developer, plan node lines only. */
async function explainPlans(db, project) {
  const { listingStatement, statsStatement } = await import(
    dist('libs/billing-records/src/billing-reports.repository.js')
  );
  const page = { page: 1, pageSize: 50 };
  const statements = [
    [
      'project payments, page 1',
      listingStatement('payments', { ownerId: null, projectId: project, mode: 'test', status: null }, page),
    ],
    [
      'transactions, page 1',
      listingStatement('payments', { ownerId: large, projectId: null, mode: null, status: null }, page),
    ],
    [
      'subscriptions, status=unpaid',
      listingStatement('subscriptions', { ownerId: large, projectId: null, mode: null, status: 'unpaid' }, page),
    ],
    ['stats (test and live)', statsStatement(large, false)],
  ];
  for (const [label, statement] of statements) {
    const { rows } = await db.query({
      text: `EXPLAIN (ANALYZE, COSTS OFF) ${statement.text}`,
      values: statement.values,
    });
    console.log(`\nplan: ${label}`);
    for (const { 'QUERY PLAN': line } of rows)
      if (!/^\s*(Buffers|Planning:|Sort Method|Cache|Hits|Memory)/.test(line)) console.log(`  ${line}`);
  }
}
