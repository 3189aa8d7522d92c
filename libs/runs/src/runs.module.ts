import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { EventsModule } from '@baton/events';
import { DeadLettersController } from './http/dead-letters.controller.js';
import { RunsController } from './http/runs.controller.js';
import { DeadLetterRepository } from './repositories/dead-letter.repository.js';
import { DeadLetterService } from './services/dead-letter.service.js';
import { AgentWaitRepository } from './repositories/agent-wait.repository.js';
import { RunLimitsRepository } from './repositories/run-limits.repository.js';
import { RunRepository } from './repositories/run.repository.js';
import { StepLeaseRepository } from './repositories/step-lease.repository.js';
import { StepRepository } from './repositories/step.repository.js';
import { AgentWaitService } from './services/agent-wait.service.js';
import { OrchestrationRunFactoryService } from './services/run-factory.service.js';
import { RunControlService } from './services/run-control.service.js';
import { RunLifecycleService } from './services/run-lifecycle.service.js';
import { RunLimitsService } from './services/run-limits.service.js';
import { RunQueryService } from './services/run-query.service.js';
import { StepLeaseService } from './services/step-lease.service.js';
import { StepTransitionsService } from './services/step-transitions.service.js';

const exported = [
  OrchestrationRunFactoryService,
  RunQueryService,
  RunControlService,
  StepTransitionsService,
  StepLeaseService,
  AgentWaitService,
  RunLimitsService,
];

/**
 * Runs and steps: their tables, state machines and transitions. `imports` must provide
 * OrchestrationDefinitionService (the app passes the definitions module).
 */
@Module({})
export class RunsModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: RunsModule,
      imports: [EventsModule, ...(options.imports ?? [])],
      controllers: [RunsController, DeadLettersController],
      providers: [RunRepository, StepRepository, AgentWaitRepository, RunLimitsRepository, DeadLetterRepository, DeadLetterService, StepLeaseRepository, RunLifecycleService, ...exported],
      exports: exported,
    };
  }
}
