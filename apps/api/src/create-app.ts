import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { LogLevel } from '@nestjs/common';
import { BatonConfig, ErrorFilter, createValidationPipe } from '@baton/common';
import { AppModule, type AppOptions } from './app.module.js';
import { setupApiDocs } from './docs/openapi.js';

export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** Builds the Nest application with Baton's pipes, filters and body parsers; does not listen. */
export async function createApp(
  options: AppOptions & { logger?: LogLevel[] | false } = {},
): Promise<NestExpressApplication> {
  const config = options.config ?? new BatonConfig();
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({ ...options, config }),
    { logger: options.logger ?? ['log', 'warn', 'error'], bodyParser: false },
  );
  app.useBodyParser('json', { limit: config.bodyLimit });
  app.useBodyParser('text', { type: YAML_CONTENT_TYPES, limit: config.bodyLimit });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  setupApiDocs(app); // GET /api/docs (Swagger UI) and /api/docs/openapi.json, before Nest's router
  return app;
}
