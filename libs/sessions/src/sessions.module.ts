import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { SessionsController } from './http/sessions.controller.js';
import { SessionRepository } from './session.repository.js';
import { SessionsService } from './sessions.service.js';

/**
 * Sessions (issue 13): `/api/v1/sessions`. `imports` must provide the runs module (a session
 * is a run) and the messaging module (`signal` satisfies a wait step's event wait).
 */
@Module({})
export class SessionsModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: SessionsModule,
      imports: [...(options.imports ?? [])],
      controllers: [SessionsController],
      providers: [SessionRepository, SessionsService],
      exports: [SessionsService],
    };
  }
}
