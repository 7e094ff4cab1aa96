import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import Stripe from 'stripe';
import { AppConfig, type StripeMode } from '#libs/config';

/** The Stripe API version every client is pinned to, so a Dashboard upgrade never changes our wire. */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

export interface ProjectStripeCredentials {
  projectId: string;
  mode: StripeMode;
  /** Changes whenever the stored credentials change (key rotation, by this or any other replica). */
  version: number;
  /** Called only when a client must be built, so a cache hit skips decrypting the stored key. */
  secretKey: () => string;
}

interface CachedClient {
  version: number;
  client: Stripe;
}

/**
 * The only place Stripe clients are built: one per (project, mode) while its credentials are unchanged, in a
 * bounded LRU cache. Construction is synchronous, so concurrent first requests share one client.
 */
@Injectable()
export class StripeClientFactory {
  private readonly cache: LRUCache<string, CachedClient>;
  private readonly agent: HttpAgent;
  private built = 0;

  constructor(private readonly config: AppConfig) {
    this.cache = new LRUCache({ max: config.stripe.clientCacheSize });
    const secure = (config.stripe.apiBaseUrl?.protocol ?? 'https:') === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  clientFor(credentials: ProjectStripeCredentials): Stripe {
    const key = `${credentials.projectId}:${credentials.mode}`;
    const cached = this.cache.get(key);
    // A request that read the credentials just before a rotation must not replace the newer client.
    if (cached && cached.version >= credentials.version) return cached.client;
    const client = this.build(credentials.secretKey());
    this.cache.set(key, { version: credentials.version, client });
    return client;
  }

  /**
   * A client for a key that is not (yet) a project's, e.g. one being validated: never cached, so the key is held no
   * longer than the call, and not counted in `clientsBuilt` (which tracks the cache). Same options as cached clients.
   */
  clientForKey(secretKey: string): Stripe {
    return this.create(secretKey);
  }

  /** Clients built since start: a steady state builds none. */
  get clientsBuilt(): number {
    return this.built;
  }

  get cachedClients(): number {
    return this.cache.size;
  }

  private build(secretKey: string): Stripe {
    this.built += 1;
    return this.create(secretKey);
  }

  private create(secretKey: string): Stripe {
    const { apiBaseUrl, timeoutMs, maxNetworkRetries } = this.config.stripe;
    return new Stripe(secretKey, {
      apiVersion: STRIPE_API_VERSION,
      telemetry: false,
      timeout: timeoutMs,
      maxNetworkRetries,
      httpAgent: this.agent,
      appInfo: { name: 'stripe-subscriptions-service' },
      ...(apiBaseUrl && {
        host: apiBaseUrl.hostname,
        port: Number(apiBaseUrl.port || (apiBaseUrl.protocol === 'https:' ? 443 : 80)),
        protocol: apiBaseUrl.protocol === 'https:' ? 'https' : 'http',
      }),
    });
  }
}
