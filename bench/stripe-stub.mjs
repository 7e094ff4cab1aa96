import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { URLSearchParams } from 'node:url';

/**
 * A minimal Stripe stand-in for the benchmark: answers POST /v1/billing_portal/sessions and POST
 * /v1/checkout/sessions at once with a session, anything else with 404. It does no key, customer or price checks;
 * the test suite's stub (test/support) does those.
 */
export async function startStripeStub() {
  const created = { portal: 0, checkout: 0 };
  const sessions = {
    '/v1/billing_portal/sessions': () => {
      created.portal += 1;
      return {
        id: `bps_${randomBytes(9).toString('hex')}`,
        object: 'billing_portal.session',
        url: 'https://billing.stripe.com/p/session/test_x',
      };
    },
    '/v1/checkout/sessions': (form) => {
      created.checkout += 1;
      const id = `cs_test_${randomBytes(24).toString('hex')}`;
      return {
        id,
        object: 'checkout.session',
        customer: form.get('customer'),
        client_reference_id: form.get('client_reference_id'),
        mode: form.get('mode'),
        status: 'open',
        payment_status: 'unpaid',
        expires_at: Math.floor(Date.now() / 1000) + 86_400,
        url: `https://checkout.stripe.com/c/pay/${id}`,
      };
    },
  };
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const create = request.method === 'POST' ? sessions[(request.url ?? '').split('?')[0]] : undefined;
      if (!create) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } }));
        return;
      }
      const body = JSON.stringify(create(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_bench' });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    created,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
