import { connect, type Socket } from 'node:net';
import request from 'supertest';
import { parseExposition, sampleValue } from './support/prometheus.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const REQUEST_TIMEOUT_MS = 1000;
const MAX_CONNECTIONS = 40;

/** A raw client on loopback: what it sends, what came back, and when the server closed the connection. */
interface RawClient {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

function rawClient(port: number, firstBytes: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const openedAt = Date.now();
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - openedAt)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(firstBytes);
      resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), closed });
    });
    socket.once('error', reject);
  });
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as unknown;

describe('HTTP limits: slow, oversized and too many clients', () => {
  let testApp: TestApp;
  let port: number;
  const server = () => testApp.app.getHttpServer();
  const metrics = async () => parseExposition((await request(server()).get('/metrics').expect(200)).text);

  beforeAll(async () => {
    testApp = await startTestApp({
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
    port = (server().address() as { port: number }).port;
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('cuts off slow-drip clients with a 408 at the request deadline, while /health stays reachable', async () => {
    const dripping = await Promise.all(
      Array.from({ length: 20 }, () =>
        rawClient(
          port,
          'POST /api/v1/projects HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
            'Content-Length: 1000\r\n\r\n{"nam',
        ),
      ),
    );
    const drip = setInterval(() => dripping.forEach((client) => client.socket.write('a')), 200);
    try {
      // During the attack: the service still answers.
      const health = await request(server()).get('/health').expect(200);
      expect(health.body).toMatchObject({ status: 'healthy' });

      const lifetimes = await Promise.all(dripping.map((client) => client.closed));
      // Node checks deadlines once a second: cut between the deadline and one check later (plus a loaded machine).
      for (const lifetime of lifetimes) {
        expect(lifetime).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
        expect(lifetime).toBeLessThan(REQUEST_TIMEOUT_MS + 2500);
      }
      for (const client of dripping) {
        expect(statusOf(client.received())).toBe(408);
        expect(bodyOf(client.received())).toEqual({
          detail: 'The request did not arrive in time; send headers and body without pausing',
        });
      }
    } finally {
      clearInterval(drip);
    }
    expect(sampleValue(await metrics(), 'http_rejected_requests_total', { status: '408', reason: 'timeout' })).toBe(20);
  });

  it('answers a chunked body over the limit with 413 at once, though it never ends', async () => {
    const client = await rawClient(
      port,
      'POST /api/v1/projects HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = 'x'.repeat(16 * 1024);
    for (let sent = 0; sent <= 120 * 1024; sent += chunk.length) {
      client.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (client.received().includes('\r\n\r\n{')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    expect(statusOf(client.received())).toBe(413);
    expect(bodyOf(client.received())).toEqual({ detail: 'Request body is larger than the limit of 102400 bytes' });
    client.socket.destroy();
  });

  it('answers headers over 16 KB with 431 in the API shape, counted', async () => {
    const client = await rawClient(
      port,
      `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'p'.repeat(17 * 1024)}\r\n\r\n`,
    );
    await client.closed;
    expect(statusOf(client.received())).toBe(431);
    expect(bodyOf(client.received())).toEqual({ detail: 'Request headers are larger than the limit of 16 KB' });
    expect(
      sampleValue(await metrics(), 'http_rejected_requests_total', { status: '431', reason: 'header_overflow' }),
    ).toBe(1);
  });

  it('answers a path segment over 100 characters with 414, without echoing the path, counted', async () => {
    const longId = `${'a'.repeat(150)}secret-looking-input`;
    const response = await request(server()).get(`/api/v1/projects/${longId}`).expect(414);
    expect(response.body).toEqual({ detail: 'A path segment is longer than 100 characters' });
    expect(response.text).not.toContain('secret-looking-input');
    expect(
      sampleValue(await metrics(), 'http_rejected_requests_total', { status: '414', reason: 'path_too_long' }),
    ).toBe(1);
  });

  it('refuses connections beyond HTTP_MAX_CONNECTIONS at once, and serves again when they close', async () => {
    const idle = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => rawClient(port, '')));
    try {
      // Node accepts the socket and closes it straight away once the cap is reached.
      const refused = await rawClient(port, '');
      expect(await refused.closed).toBeLessThan(1000);
      expect(refused.received()).toBe('');
    } finally {
      idle.forEach((client) => client.socket.destroy());
    }
    await Promise.all(idle.map((client) => client.closed));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await request(server()).get('/health').expect(200);
  });
});
