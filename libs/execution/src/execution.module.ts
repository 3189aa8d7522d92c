import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
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
import { PatternStep } from './executor/pattern.step.js';
import { PatternParkedTurns } from './executor/pattern-parked-turns.js';
import { PatternThreadRepository } from './patterns/pattern-thread.repository.js';
import { AgentHealthController } from './http/agent-health.controller.js';
import { OrchestrationStepExecutorService } from './executor/step-executor.service.js';
import { WaitStep } from './executor/wait.step.js';
import { CompensationWorker } from './compensation/compensation-worker.service.js';
import { CompletionBuffer } from './queue/completion-buffer.service.js';
import { OrchestrationExecutionService } from './queue/execution-queue.service.js';

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
      imports: options.imports ?? [],
      controllers: [AgentHealthController, AgentBreakerController],
      providers: [AgentBreakerRepository, AgentBreakerService, AgentPlanner, FaultSweeper, StepCacheRepository, StepCacheService, AgentStep, BudgetGuard, ChildRunStep, ControlFlowStep, CheckpointStep, WaitStep, PatternStep, PatternParkedTurns, PatternThreadRepository, CompletionBuffer, OrchestrationStepExecutorService, OrchestrationExecutionService, CompensationWorker],
      exports: [OrchestrationExecutionService, StepCacheService, AgentBreakerService, FaultSweeper],
    };
  }
}
