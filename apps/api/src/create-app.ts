import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { LogLevel } from '@nestjs/common';
import { BatonConfig, ErrorFilter, YAML_CONTENT_TYPES, createValidationPipe, requestGuards } from '@baton/common';
import { TelemetryService } from '@baton/telemetry';
import { AppModule, type AppOptions } from './app.module.js';
import { setupApiDocs } from './docs/openapi.js';

export { YAML_CONTENT_TYPES };

/** Builds the Nest application with Baton's pipes, filters and body parsers; does not listen. */
export async function createApp(
  options: AppOptions & { logger?: LogLevel[] | false } = {},
): Promise<NestExpressApplication> {
  const config = options.config ?? new BatonConfig();
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({ ...options, config }),
    { logger: options.logger ?? ['log', 'warn', 'error'], bodyParser: false },
  );
  // Origin/Host guard, content type, body parsers with per-route limits, hostile input.
  app.use(...requestGuards(config));
  // A caller's W3C traceparent reaches the run it creates, whatever the door (issue 13).
  app.use(app.get(TelemetryService).incomingTraceMiddleware());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  setupApiDocs(app); // GET /api/docs (Swagger UI) and /api/docs/openapi.json, before Nest's router
  return app;
}
