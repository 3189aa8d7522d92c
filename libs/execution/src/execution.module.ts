import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { PolicyModule } from '@baton/policy';
import { AgentBreakerRepository } from './breakers/agent-breaker.repository.js';
import { AgentBreakerService } from './breakers/agent-breaker.service.js';
import { AgentPlanner } from './breakers/agent-planner.service.js';
import { FaultSweeper } from './breakers/fault-sweeper.service.js';
import { AgentBreakerController } from './http/agent-breaker.controller.js';
import { StepCacheRepository } from './cache/step-cache.repository.js';
import { StepCacheService } from './cache/step-cache.service.js';
import { AgentStep } from './executor/agent.step.js';
import { BudgetGuard } from './executor/budget-guard.js';
import { CheckpointStep } from './executor/checkpoint.step.js';
import { ChildRunStep } from './executor/child-run.step.js';
import { ControlFlowStep } from './executor/control-flow.step.js';
import { DispatchPolicy } from './executor/dispatch-policy.js';
import { PatternStep } from './executor/pattern.step.js';
import { TurnRouting } from './executor/turn-routing.js';
import { PatternParkedTurns } from './executor/pattern-parked-turns.js';
import { PatternThreadRepository } from './patterns/pattern-thread.repository.js';
import { AgentHealthController } from './http/agent-health.controller.js';
import { OrchestrationStepExecutorService } from './executor/step-executor.service.js';
import { AgentCaller } from './executor/agent-caller.js';
import { StepAdmission } from './executor/step-admission.js';
import { StepApprovals } from './executor/step-approvals.js';
import { stepKindRegistryProvider } from './executor/step-kind-registry.js';
import { StepReporter } from './executor/step-reporter.js';
import { WaitStep } from './executor/wait.step.js';
import { CompensationWorker } from './compensation/compensation-worker.service.js';
import { CompletionBuffer } from './queue/completion-buffer.service.js';
import { OrchestrationExecutionService } from './queue/execution-queue.service.js';

/**
 * The step kinds, one per definition `type`: a new kind is a class implementing `StepKind`
 * added here. The registry refuses two kinds claiming one type when the module starts.
 */
const STEP_KINDS = [AgentStep, ChildRunStep, CheckpointStep, PatternStep, WaitStep];

/**
 * Execution: the claim loop, the step executor, retries, the step cache, and the agents'
 * circuit breakers (issue 12). `imports` must provide the runs, definitions, agents,
 * approvals and messaging services (the app passes those modules).
 */
@Module({})
export class ExecutionModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: ExecutionModule,
      imports: [PolicyModule, ...(options.imports ?? [])],
      controllers: [AgentHealthController, AgentBreakerController],
      providers: [
        AgentBreakerRepository, AgentBreakerService, AgentPlanner, FaultSweeper, StepCacheRepository, StepCacheService,
        // The executor: admission, control flow, the kinds, reporting.
        OrchestrationStepExecutorService, StepAdmission, DispatchPolicy, BudgetGuard, StepApprovals, ControlFlowStep, StepReporter, CompletionBuffer,
        ...STEP_KINDS, stepKindRegistryProvider(STEP_KINDS), AgentCaller, TurnRouting, PatternParkedTurns, PatternThreadRepository,
        OrchestrationExecutionService, CompensationWorker,
      ],
      exports: [OrchestrationExecutionService, StepCacheService, AgentBreakerService, FaultSweeper],
    };
  }
}
