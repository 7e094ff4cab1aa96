import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Stripe from 'stripe';
import { AppConfig, environmentSchema, type StripeMode } from '#libs/config';
import { STRIPE_API_VERSION, StripeClientFactory, type ProjectStripeCredentials } from './stripe-client.factory.js';

const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const PROJECT_A = '6f1c3a52-1d2e-4c8b-9a0f-3b5e7d9c1a2b';
const PROJECT_B = '0b7e2c1d-9f3a-4e5b-8c6d-1a2b3c4d5e6f';
const PROJECT_C = 'a3d5f7b9-2c4e-4a6b-8d0f-1e3a5c7b9d2f';

function factoryWith(env: Record<string, string> = {}): StripeClientFactory {
  return new StripeClientFactory(
    new AppConfig(environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY, ...env })),
  );
}

function credentials(
  projectId: string,
  mode: StripeMode = 'test',
  version = 1,
  secretKey = `sk_${mode}_${projectId.slice(0, 8)}v${version}`,
): ProjectStripeCredentials {
  return { projectId, mode, version, secretKey: () => secretKey };
}

/** The key a client authenticates with, read from the request headers it would send. */
async function authorizationOf(client: Stripe): Promise<string | undefined> {
  const authenticator = (
    client as unknown as { _authenticator: (request: { headers: Record<string, string> }) => Promise<void> }
  )._authenticator;
  const request = { headers: {} as Record<string, string> };
  await authenticator(request);
  return request.headers.Authorization;
}

describe('StripeClientFactory', () => {
  describe('caching', () => {
    it('starts empty', () => {
      const factory = factoryWith();
      expect(factory.clientsBuilt).toBe(0);
      expect(factory.cachedClients).toBe(0);
    });

    it('returns the same client for the same project, mode and version, building it once', () => {
      const factory = factoryWith();
      const first = factory.clientFor(credentials(PROJECT_A));
      expect(first).toBeInstanceOf(Stripe);
      for (let i = 0; i < 5; i += 1) expect(factory.clientFor(credentials(PROJECT_A))).toBe(first);
      expect(factory.clientsBuilt).toBe(1);
      expect(factory.cachedClients).toBe(1);
    });

    it('builds the client with the secret key it was given', async () => {
      const factory = factoryWith();
      const client = factory.clientFor(credentials(PROJECT_A, 'test', 1, 'sk_test_first'));
      expect(await authorizationOf(client)).toBe('Bearer sk_test_first');
    });

    it('replaces the client when the credentials version changes (key rotation)', async () => {
      const factory = factoryWith();
      const before = factory.clientFor(credentials(PROJECT_A, 'test', 1, 'sk_test_old'));
      const after = factory.clientFor(credentials(PROJECT_A, 'test', 2, 'sk_test_new'));
      expect(after).not.toBe(before);
      expect(await authorizationOf(after)).toBe('Bearer sk_test_new');
      expect(factory.clientsBuilt).toBe(2);
      expect(factory.cachedClients).toBe(1);
      // The new client is the cached one from now on.
      expect(factory.clientFor(credentials(PROJECT_A, 'test', 2, 'sk_test_new'))).toBe(after);
      expect(factory.clientsBuilt).toBe(2);
    });

    it('keeps the newer client when a request that read the credentials before a rotation asks for the old version', () => {
      const factory = factoryWith();
      const v1 = factory.clientFor(credentials(PROJECT_A, 'test', 1));
      const v2 = factory.clientFor(credentials(PROJECT_A, 'test', 2));
      const v1Again = factory.clientFor(credentials(PROJECT_A, 'test', 1));
      expect(v1Again).toBe(v2);
      expect(v1Again).not.toBe(v1);
      expect(factory.clientsBuilt).toBe(2);
      expect(factory.cachedClients).toBe(1);
    });

    it('keeps test and live clients of one project apart', async () => {
      const factory = factoryWith();
      const test = factory.clientFor(credentials(PROJECT_A, 'test', 1, 'sk_test_a'));
      const live = factory.clientFor(credentials(PROJECT_A, 'live', 1, 'sk_live_a'));
      expect(live).not.toBe(test);
      expect(await authorizationOf(test)).toBe('Bearer sk_test_a');
      expect(await authorizationOf(live)).toBe('Bearer sk_live_a');
      expect(factory.clientsBuilt).toBe(2);
      expect(factory.cachedClients).toBe(2);
      expect(factory.clientFor(credentials(PROJECT_A, 'test', 1, 'sk_test_a'))).toBe(test);
      expect(factory.clientFor(credentials(PROJECT_A, 'live', 1, 'sk_live_a'))).toBe(live);
      expect(factory.clientsBuilt).toBe(2);
    });

    it('keeps different projects apart, even with equal versions', async () => {
      const factory = factoryWith();
      const a = factory.clientFor(credentials(PROJECT_A, 'test', 1, 'sk_test_a'));
      const b = factory.clientFor(credentials(PROJECT_B, 'test', 1, 'sk_test_b'));
      expect(b).not.toBe(a);
      expect(await authorizationOf(a)).toBe('Bearer sk_test_a');
      expect(await authorizationOf(b)).toBe('Bearer sk_test_b');
      expect(factory.cachedClients).toBe(2);
      expect(factory.clientsBuilt).toBe(2);
    });

    it('rotating one project leaves the other project and mode untouched', () => {
      const factory = factoryWith();
      const aLive = factory.clientFor(credentials(PROJECT_A, 'live', 1));
      const b = factory.clientFor(credentials(PROJECT_B, 'test', 1));
      factory.clientFor(credentials(PROJECT_A, 'test', 1));
      factory.clientFor(credentials(PROJECT_A, 'test', 2));
      expect(factory.clientFor(credentials(PROJECT_A, 'live', 1))).toBe(aLive);
      expect(factory.clientFor(credentials(PROJECT_B, 'test', 1))).toBe(b);
      expect(factory.clientsBuilt).toBe(4);
      expect(factory.cachedClients).toBe(3);
    });

    it('builds ONE client for many concurrent first requests', async () => {
      const factory = factoryWith();
      const clients = await Promise.all(
        Array.from({ length: 50 }, async () => {
          await Promise.resolve();
          return factory.clientFor(credentials(PROJECT_A));
        }),
      );
      expect(new Set(clients).size).toBe(1);
      expect(factory.clientsBuilt).toBe(1);
      expect(factory.cachedClients).toBe(1);
    });
  });

  describe('bounded cache (STRIPE_CLIENT_CACHE_SIZE)', () => {
    it('never holds more clients than the bound', () => {
      const factory = factoryWith({ STRIPE_CLIENT_CACHE_SIZE: '3' });
      for (let i = 0; i < 10; i += 1) {
        factory.clientFor(credentials(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
        expect(factory.cachedClients).toBe(Math.min(i + 1, 3));
      }
      expect(factory.clientsBuilt).toBe(10);
    });

    it('evicts the least recently used client, not the oldest', () => {
      const factory = factoryWith({ STRIPE_CLIENT_CACHE_SIZE: '2' });
      const a = factory.clientFor(credentials(PROJECT_A));
      const b = factory.clientFor(credentials(PROJECT_B));
      // Touch A: B is now the least recently used.
      expect(factory.clientFor(credentials(PROJECT_A))).toBe(a);
      const c = factory.clientFor(credentials(PROJECT_C));
      expect(factory.clientsBuilt).toBe(3);
      expect(factory.cachedClients).toBe(2);

      // A and C are still cached: no build.
      expect(factory.clientFor(credentials(PROJECT_A))).toBe(a);
      expect(factory.clientFor(credentials(PROJECT_C))).toBe(c);
      expect(factory.clientsBuilt).toBe(3);

      // B was evicted: rebuilt as a new instance.
      const bAgain = factory.clientFor(credentials(PROJECT_B));
      expect(bAgain).not.toBe(b);
      expect(factory.clientsBuilt).toBe(4);
      expect(factory.cachedClients).toBe(2);
    });

    it('defaults to 1000 clients', () => {
      const factory = factoryWith();
      for (let i = 0; i < 1001; i += 1) {
        factory.clientFor(credentials(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
      }
      expect(factory.cachedClients).toBe(1000);
      expect(factory.clientsBuilt).toBe(1001);
      // The first one was evicted; the last one is still there.
      factory.clientFor(credentials(`00000000-0000-4000-8000-${String(1000).padStart(12, '0')}`));
      expect(factory.clientsBuilt).toBe(1001);
      factory.clientFor(credentials(`00000000-0000-4000-8000-${String(0).padStart(12, '0')}`));
      expect(factory.clientsBuilt).toBe(1002);
    });
  });

  describe('client configuration', () => {
    it('pins the API version, turns telemetry off and applies the default timeout and retries', () => {
      const client = factoryWith().clientFor(credentials(PROJECT_A));
      expect(STRIPE_API_VERSION).toBe('2026-10-28.endive');
      expect(client.getApiField('version')).toBe(STRIPE_API_VERSION);
      expect(client.getTelemetryEnabled()).toBe(false);
      expect(client.getApiField('timeout')).toBe(10_000);
      expect(client.getApiField('maxNetworkRetries')).toBe(2);
      expect(client.getMaxNetworkRetries()).toBe(2);
    });

    it('talks to api.stripe.com over https when no base URL is configured', () => {
      const client = factoryWith().clientFor(credentials(PROJECT_A));
      expect(client.getApiField('host')).toBe('api.stripe.com');
      expect(Number(client.getApiField('port'))).toBe(443);
      expect(client.getApiField('protocol')).toBe('https');
      expect(client.getApiField('agent')).toBeInstanceOf(HttpsAgent);
    });

    it('applies STRIPE_TIMEOUT_MS and STRIPE_MAX_NETWORK_RETRIES', () => {
      const client = factoryWith({ STRIPE_TIMEOUT_MS: '2500', STRIPE_MAX_NETWORK_RETRIES: '0' }).clientFor(
        credentials(PROJECT_A),
      );
      expect(client.getApiField('timeout')).toBe(2500);
      expect(client.getApiField('maxNetworkRetries')).toBe(0);
    });

    it('uses the host, port and protocol of an http STRIPE_API_BASE_URL', () => {
      const client = factoryWith({ STRIPE_API_BASE_URL: 'http://localhost:12111' }).clientFor(credentials(PROJECT_A));
      expect(client.getApiField('host')).toBe('localhost');
      expect(Number(client.getApiField('port'))).toBe(12111);
      expect(client.getApiField('protocol')).toBe('http');
      const agent = client.getApiField('agent');
      expect(agent).toBeInstanceOf(HttpAgent);
      expect(agent).not.toBeInstanceOf(HttpsAgent);
    });

    it('uses the default port of the scheme when the base URL names none', () => {
      const http = factoryWith({ STRIPE_API_BASE_URL: 'http://stripe-mock.internal' }).clientFor(
        credentials(PROJECT_A),
      );
      expect(http.getApiField('host')).toBe('stripe-mock.internal');
      expect(Number(http.getApiField('port'))).toBe(80);
      expect(http.getApiField('protocol')).toBe('http');

      const https = factoryWith({ STRIPE_API_BASE_URL: 'https://stripe-proxy.example.com' }).clientFor(
        credentials(PROJECT_A),
      );
      expect(https.getApiField('host')).toBe('stripe-proxy.example.com');
      expect(Number(https.getApiField('port'))).toBe(443);
      expect(https.getApiField('protocol')).toBe('https');
      expect(https.getApiField('agent')).toBeInstanceOf(HttpsAgent);
    });

    it('uses an explicit port of an https base URL', () => {
      const client = factoryWith({ STRIPE_API_BASE_URL: 'https://127.0.0.1:8443' }).clientFor(credentials(PROJECT_A));
      expect(client.getApiField('host')).toBe('127.0.0.1');
      expect(Number(client.getApiField('port'))).toBe(8443);
      expect(client.getApiField('protocol')).toBe('https');
    });

    it('shares one keep-alive agent between all clients of a factory', () => {
      const factory = factoryWith();
      const a = factory.clientFor(credentials(PROJECT_A));
      const b = factory.clientFor(credentials(PROJECT_B, 'live'));
      const agent = a.getApiField('agent') as HttpsAgent;
      expect(agent).toBeInstanceOf(HttpsAgent);
      expect(b.getApiField('agent')).toBe(agent);
      expect((agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    });
  });
});
