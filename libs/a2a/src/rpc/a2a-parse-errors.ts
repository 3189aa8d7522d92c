import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { a2aParseErrorHandler } from './a2a.controller.js';

/**
 * Installs `a2aParseErrorHandler` on the Express app. Module init runs after the app's body
 * parsers and routes are registered and before Nest adds its own error handler, so a JSON
 * syntax error on `POST /a2a` reaches this handler first (Express passes errors past every
 * ordinary middleware and route to the next error handler).
 */
@Injectable()
export class A2aParseErrors implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    const app = this.adapter.httpAdapter?.getInstance?.() as { use?: (handler: unknown) => void } | undefined;
    app?.use?.(a2aParseErrorHandler);
  }
}
