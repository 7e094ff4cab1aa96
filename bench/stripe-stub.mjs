import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * A minimal Stripe stand-in for the benchmark: answers POST /v1/billing_portal/sessions at once with a session,
 * anything else with 404. It does no key or customer checks; the test suite's stub (test/support) does those.
 */
export async function startStripeStub() {
  let sessions = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const path = (request.url ?? '').split('?')[0];
      if (request.method !== 'POST' || path !== '/v1/billing_portal/sessions') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } }));
        return;
      }
      sessions += 1;
      const body = JSON.stringify({
        id: `bps_${randomBytes(9).toString('hex')}`,
        object: 'billing_portal.session',
        url: 'https://billing.stripe.com/p/session/test_x',
      });
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
    get sessions() {
      return sessions;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
