export { ExecutionModule } from './execution.module.js';
export { OrchestrationExecutionService } from './queue/execution-queue.service.js';
export { OrchestrationStepExecutorService } from './executor/step-executor.service.js';
export { StepCacheService } from './cache/step-cache.service.js';
export { stepCacheKey, type CacheIdentity } from './cache/cache-key.js';
export { backoffDelay } from './executor/retry-policy.js';
export { AgentBreakerService, BREAKER_STATE_VALUE, type AgentBreakerView } from './breakers/agent-breaker.service.js';
export { FaultSweeper } from './breakers/fault-sweeper.service.js';
