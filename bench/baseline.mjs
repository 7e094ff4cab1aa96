import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import Stripe from 'stripe';

/** The one query of the baseline: the project's active test key and the user's test customer. */
export const BASELINE_SQL = `
  SELECT c.test_secret_key_enc AS secret_key, cu.stripe_customer_id
    FROM stripe_configs c
    LEFT JOIN stripe_customers cu ON cu.project_id = c.project_id AND cu.user_id = $2::uuid AND cu.mode = 'test'
   WHERE c.project_id = $1::uuid AND c.is_active`;

const PORTAL_PATH = '/api/v1/payments/stripe/customer-portal';

/**
 * The bare minimum the portal endpoint has to do, on node:http: verify the HS256 token (HMAC, constant-time
 * compare, exp), one SQL query with the raw driver (`query(sql, params)` returning `{rows}`: pg Pool or PGlite),
 * one stripe-node call with a client cached per project.
 */
export async function startBaseline({ jwtSecret, query, stripeUrl }) {
  const stripeBase = new URL(stripeUrl);
  const clients = new Map();
  const clientFor = (projectId, key) => {
    let client = clients.get(projectId);
    if (!client) {
      client = new Stripe(key, {
        host: stripeBase.hostname,
        port: Number(stripeBase.port),
        protocol: 'http',
        telemetry: false,
        maxNetworkRetries: 0,
      });
      clients.set(projectId, client);
    }
    return client;
  };
  const secret = Buffer.from(jwtSecret);

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, Buffer.concat(chunks).toString('utf8')).then(
        ({ status, body }) => send(response, status, body),
        () => send(response, 500, { detail: 'Internal Server Error' }),
      );
    });
  });

  async function handle(request, raw) {
    if (request.method !== 'POST' || (request.url ?? '').split('?')[0] !== PORTAL_PATH) {
      return { status: 404, body: { detail: 'Not Found' } };
    }
    const claims = verifyHs256(request.headers.authorization, secret);
    if (!claims) return { status: 401, body: { detail: 'Could not validate credentials' } };
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 422, body: { detail: 'invalid body' } };
    }
    if (typeof body?.return_url !== 'string') return { status: 422, body: { detail: 'return_url required' } };
    const { rows } = await query(BASELINE_SQL, [claims.project_id, claims.sub]);
    const row = rows[0];
    if (!row?.secret_key) return { status: 404, body: { detail: 'Project not found or Stripe not configured' } };
    if (!row.stripe_customer_id) return { status: 404, body: { detail: 'No Stripe customer found for user' } };
    const session = await clientFor(claims.project_id, row.secret_key).billingPortal.sessions.create({
      customer: row.stripe_customer_id,
      return_url: body.return_url,
    });
    return { status: 200, body: { portal_url: session.url } };
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(response, status, body) {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  response.end(payload);
}

/** Claims of a valid HS256 access token with a project, else undefined. */
function verifyHs256(authorization, secret) {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return undefined;
  const parts = authorization.slice(7).split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims;
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).alg !== 'HS256') return undefined;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) return undefined;
  if (claims.type !== 'access' || typeof claims.sub !== 'string' || typeof claims.project_id !== 'string') {
    return undefined;
  }
  return claims;
}
