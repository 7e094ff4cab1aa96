import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppConfig, environmentSchema } from '#libs/config';
import { AppModule } from './app.module.js';
import { configureApp, httpAdapter } from './configure-app.js';

/**
 * The OpenAPI document exactly as the running service serves it at /openapi.json, built without opening a database
 * or reading secrets: Nest's preview mode resolves the module graph without instantiating providers.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const placeholder = Buffer.alloc(32).toString('base64');
  const config = new AppConfig(
    environmentSchema.parse({
      PGLITE_DATA_DIR: 'memory://',
      JWT_SECRET: 'x'.repeat(32),
      SECRETS_ENCRYPTION_KEY: placeholder,
    }),
  );
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), httpAdapter(), {
    preview: true,
    logger: false,
    bodyParser: false,
    abortOnError: false,
  });
  try {
    return configureApp(app, config);
  } finally {
    await app.close();
  }
}

/** The committed file's text: stable key order as generated, two-space indent, trailing newline. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
