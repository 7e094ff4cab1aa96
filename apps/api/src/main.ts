import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, ConfigurationError, loadConfig } from '#libs/config';
import { createAppLogger, PinoNestLogger } from '#libs/logging';
import { browsableBaseUrl } from './browsable-url.js';
import { createApiApp } from './configure-app.js';

async function bootstrap(): Promise<void> {
  // JSON lines from the very first one; LOG_LEVEL is not known (validated) yet, so start-up warnings always show.
  const logger = new PinoNestLogger(createAppLogger('log'));
  let config: AppConfig;
  try {
    config = loadConfig(process.env, { warn: (message) => logger.warn(message, 'Bootstrap') });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
  // The bound port, not PORT: PORT=0 picks a free one.
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  logger.log(
    `Listening on ${config.http.host}:${port}; API documentation at ${browsableBaseUrl(config.http.host, port)}/docs`,
    'Bootstrap',
  );
  exitGracefullyOn(['SIGTERM', 'SIGINT'], app, logger);
}

/** Longest a shutdown may take before the process gives up on in-flight requests. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * On a stop signal: stop accepting connections, let in-flight requests finish, close the database (releasing the
 * embedded data directory), then exit 0. Nest's own shutdown hooks would re-raise the signal instead of exiting 0.
 */
function exitGracefullyOn(signals: NodeJS.Signals[], app: NestFastifyApplication, logger: LoggerService): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing in-flight requests`, 'Bootstrap');
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting`, undefined, 'Bootstrap');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    // HTTP first: Nest's close() runs the database shutdown hooks before it closes the server.
    const server = app.getHttpServer() as Server;
    new Promise<void>((resolve) => server.close(() => resolve()))
      .then(() => app.close())
      .then(
        // 0, unless a failure asked for the stop (e.g. the embedded database's lock was lost: exit code 1).
        () => process.exit(),
        (error: unknown) => {
          logger.error(
            `Shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
            undefined,
            'Bootstrap',
          );
          process.exit(1);
        },
      );
  };
  for (const signal of signals) process.once(signal, stop);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
