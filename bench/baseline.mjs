import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, createServer } from 'node:http';
import Stripe from 'stripe';

/**
 * The bare minimum each measured endpoint has to do, on node:http, with the service's own SQL statements (`sql`,
 * imported by server.mjs from dist/) sent as named statements, as the service sends them: verify the HS256 token
 * (HMAC, constant-time compare, exp and claims), read the body, and
 *   portal:          the portal's one query, one billingPortal.sessions.create;
 *   checkout:        the checkout context query (which takes the user's lease), one checkout.sessions.create with a
 *                    derived idempotency key, the statement that records the session and releases the lease;
 *   my-subscription: the one query of the user's current subscription.
 * Stripe clients are cached per project and built with the service's options (API version, timeout, retries, a
 * keep-alive agent, app info). `query(statement, values)` runs a named statement and returns `{rows}`.
 */
export async function startBaseline({ jwtSecret, query, stripeUrl, sql, stripeOptions }) {
  const stripeBase = new URL(stripeUrl);
  const agent = new Agent({ keepAlive: true });
  const clients = new Map();
  const clientFor = (projectId, key) => {
    let client = clients.get(projectId);
    if (!client) {
      client = new Stripe(key, {
        ...stripeOptions,
        httpAgent: agent,
        host: stripeBase.hostname,
        port: Number(stripeBase.port),
        protocol: 'http',
      });
      clients.set(projectId, client);
    }
    return client;
  };
  const secret = Buffer.from(jwtSecret);

  const routes = {
    'POST /api/v1/payments/stripe/customer-portal': async (claims, body) => {
      if (typeof body?.return_url !== 'string') return { status: 422, body: { detail: 'return_url required' } };
      const { rows } = await query(sql.portal, [claims.project_id, claims.sub]);
      const row = rows[0];
      if (!row?.is_active || !row.secret_key_enc) return notConfigured();
      if (!row.stripe_customer_id) return { status: 404, body: { detail: 'No Stripe customer found for user' } };
      const session = await clientFor(claims.project_id, row.secret_key_enc).billingPortal.sessions.create({
        customer: row.stripe_customer_id,
        return_url: body.return_url,
      });
      return { status: 200, body: { portal_url: session.url } };
    },
    'POST /api/v1/payments/stripe/checkout-session': async (claims, body) => {
      if (typeof body?.price_id !== 'string' || typeof body.success_url !== 'string') {
        return { status: 422, body: { detail: 'price_id and success_url required' } };
      }
      const lease = { key: `checkout:${claims.project_id}:test:${claims.sub}`, holder: randomUUID() };
      const { rows } = await query(sql.checkoutContext, [
        claims.project_id,
        claims.sub,
        lease.key,
        lease.holder,
        70_000,
        null,
      ]);
      const row = rows[0];
      if (!row?.is_active || !row.secret_key_enc) return notConfigured();
      if (!row.lease_taken) return { status: 409, body: { detail: 'busy' } };
      const metadata = { project_id: claims.project_id, user_id: claims.sub };
      const params = {
        customer: row.stripe_customer_id,
        line_items: [{ price: body.price_id, quantity: body.quantity ?? 1 }],
        mode: body.mode,
        success_url: body.success_url,
        cancel_url: body.cancel_url,
        client_reference_id: claims.sub,
        metadata,
        payment_intent_data: { metadata },
      };
      const idempotencyKey = `checkout-${createHash('sha256')
        .update(JSON.stringify([claims.project_id, claims.sub, 'test', row.latest_session_id, params]))
        .digest('hex')}`;
      const session = await clientFor(claims.project_id, row.secret_key_enc).checkout.sessions.create(params, {
        idempotencyKey,
      });
      await query(sql.checkoutFinish, [
        claims.project_id,
        'test',
        null,
        null,
        claims.sub,
        session.id,
        body.mode,
        session.url,
        null,
        session.expires_at,
        lease.key,
        lease.holder,
      ]);
      return { status: 200, body: { session_id: session.id, checkout_url: session.url } };
    },
    'GET /api/v1/payments/stripe/my-subscription': async (claims) => {
      const { rows } = await query(sql.mySubscription, [claims.project_id, claims.sub]);
      const row = rows[0];
      return { status: 200, body: row ? subscriptionResponse(row) : null };
    },
  };

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
    const route = routes[`${request.method} ${(request.url ?? '').split('?')[0]}`];
    if (!route) return { status: 404, body: { detail: 'Not Found' } };
    const claims = verifyHs256(request.headers.authorization, secret);
    if (!claims) return { status: 401, body: { detail: 'Could not validate credentials' } };
    let body;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return { status: 422, body: { detail: 'invalid body' } };
    }
    return route(claims, body);
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}` };
}

const iso = (time) => time?.toISOString() ?? null;

/** The response my-subscription gives, with the entitlement rule (active, trialing, past_due within the grace). */
function subscriptionResponse(row) {
  const graceEnds = row.past_due_since && row.past_due_since.getTime() + row.past_due_grace_days * 86_400_000;
  return {
    id: row.id,
    project_id: row.project_id,
    user_id: row.user_id,
    is_test_mode: row.mode === 'test',
    subscription_id: row.stripe_subscription_id,
    customer_id: row.stripe_customer_id,
    status: row.status,
    plan_name: row.plan_name,
    quantity: row.quantity,
    current_period_start: iso(row.current_period_start),
    current_period_end: iso(row.current_period_end),
    cancel_at: iso(row.cancel_at),
    cancelled_at: iso(row.canceled_at),
    created_at: iso(row.created_at),
    price_id: row.price_id,
    cancel_at_period_end: row.cancel_at_period_end,
    is_entitled:
      row.status === 'active' || row.status === 'trialing' || (row.status === 'past_due' && Date.now() < graceEnds),
  };
}

const notConfigured = () => ({ status: 404, body: { detail: 'Project not found or Stripe not configured' } });

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
