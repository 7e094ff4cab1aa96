import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { createApiApp } from '../../apps/api/src/configure-app.js';
import { loadConfig, type AppConfig } from '#libs/config';
import { createAppDatabase, type TestDatabase } from './test-database.js';
import { TEST_JWT_SECRET } from './tokens.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * The real service, built and configured exactly as main.ts does (same module, same configureApp), on its own
 * database, with Stripe pointed at the stub. `env` overrides any variable.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { logDestination?: DestinationStream } = {},
): Promise<TestApp> {
  const database: TestDatabase = await createAppDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STRIPE_MAX_NETWORK_RETRIES: '0',
    ...database.env,
    ...env,
  });
  // Silent unless a test captures the logs.
  const app = await createApiApp(config, options.logDestination ? options : { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    config,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
