import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, ConfigurationError, loadConfig } from '../../../libs/config/src/index.js';
import { createApiApp } from './configure-app.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  let config: AppConfig;
  try {
    config = loadConfig(process.env, { warn: (message) => logger.warn(message) });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
  logger.log(`Listening on http://${config.http.host}:${config.http.port} (docs at /docs)`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
