import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { EventsModule, RUN_OWNERS } from '@baton/events';
import { PolicyModule } from '@baton/policy';
import { RunAccess } from './http/run-access.js';
import { DeadLettersController } from './http/dead-letters.controller.js';
import { RunsController } from './http/runs.controller.js';
import { AgentActivityRepository } from './repositories/agent-activity.repository.js';
import { DeadLetterRepository } from './repositories/dead-letter.repository.js';
import { DeadLetterService } from './services/dead-letter.service.js';
import { AgentWaitRepository } from './repositories/agent-wait.repository.js';
import { RunLimitsRepository } from './repositories/run-limits.repository.js';
import { RunRepository } from './repositories/run.repository.js';
import { StepIterationRepository } from './repositories/step-iteration.repository.js';
import { StepLeaseRepository } from './repositories/step-lease.repository.js';
import { ClaimLocksRepository } from './repositories/claim-locks.repository.js';
import { StepRepository } from './repositories/step.repository.js';
import { AgentActivityService } from './services/agent-activity.service.js';
import { OrchestrationRunFactoryService } from './services/run-factory.service.js';
import { RunControlService } from './services/run-control.service.js';
import { CompensationRepository } from './repositories/compensation.repository.js';
import { CompensationPlanner } from './services/compensation-planner.service.js';
import { RunCompensationService } from './services/run-compensation.service.js';
import { RunLifecycleService } from './services/run-lifecycle.service.js';
import { RunBudgetService } from './services/run-budget.service.js';
import { BudgetRepository } from './repositories/budget.repository.js';
import { AgentWaitService } from './services/agent-wait.service.js';
import { RunLimitsService } from './services/run-limits.service.js';
import { RunQueryService } from './services/run-query.service.js';
import { StepLeaseService } from './services/step-lease.service.js';
import { StepIterationsService } from './services/step-iterations.service.js';
import { StepProgressService } from './services/step-progress.service.js';
import { StepTransitionsService } from './services/step-transitions.service.js';
import { PatternTurnRepository } from './repositories/pattern-turn.repository.js';
import { PatternTurnsService } from './services/pattern-turns.service.js';

const exported = [
  OrchestrationRunFactoryService,
  RunQueryService,
  RunControlService,
  StepTransitionsService,
  StepLeaseService,
  StepIterationsService,
  PatternTurnsService,
  RunBudgetService,
  AgentActivityService,
  StepProgressService,
  AgentWaitService,
  RunLimitsService,
  RunCompensationService,
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
      imports: [EventsModule, PolicyModule, ...(options.imports ?? [])],
      controllers: [RunsController, DeadLettersController],
      providers: [RunRepository, StepRepository, AgentWaitRepository, RunLimitsRepository, DeadLetterRepository, DeadLetterService, StepLeaseRepository, ClaimLocksRepository, StepIterationRepository, PatternTurnRepository, BudgetRepository, AgentActivityRepository, CompensationRepository, CompensationPlanner, RunLifecycleService, RunAccess, ...exported,
        // Tenancy: the event log's readers (floor 2) ask runs for run owners through this token.
        { provide: RUN_OWNERS, useExisting: RunQueryService }],
      exports: exported,
    };
  }
}
