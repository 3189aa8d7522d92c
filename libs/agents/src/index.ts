export { AgentsModule } from './agents.module.js';
export { AgentRegistryService, AGENT_CACHE_TTL_MS } from './agent-registry.service.js';
export { AgentModeRouterService, type InvokeOptions } from './agent-mode-router.service.js';
export type { RegisterAgentInput } from './agent-registration.js';
export {
  AgentCallError,
  type Agent,
  type AgentClient,
  type AgentKind,
  type AgentRef,
  type BreakerSettings,
  type InvocationContext,
  type NodeSelector,
} from './agent.types.js';
export { BUILTIN_AGENT_NAMES, BUILTIN_PREFIX, isBuiltinName, type BuiltinAgentName } from './builtin-agents.js';
export { HttpAgentClient } from './clients/http-agent.client.js';
export { BuiltinAgentClient } from './clients/builtin-agent.client.js';
export { WorkerAgentClient, WORKER_PENDING, pendingWorkerJobs, type WorkerJobDispatcher, type ParkOutcome } from './clients/worker-agent.client.js';
export { toAgentResponse, type AgentResponse } from './http/agent-response.mapper.js';
export { SigningKeysService } from './call-tokens/signing-keys.service.js';
export { CallTokenService, CALL_TOKEN_HEADER } from './call-tokens/call-token.service.js';
export type { PublicJwk } from './call-tokens/signing-key.repository.js';
