import { Module } from '@nestjs/common';
import { AgentModeRouterService } from './agent-mode-router.service.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { AgentRepository } from './agent.repository.js';
import { A2aAgentClient } from './clients/a2a-agent.client.js';
import { BuiltinAgentClient } from './clients/builtin-agent.client.js';
import { HttpAgentClient } from './clients/http-agent.client.js';
import { WorkerAgentClient } from './clients/worker-agent.client.js';
import { AgentsController } from './http/agents.controller.js';

/**
 * The agent registry, the mode router and the agent clients. Needs `Database` and
 * `BatonConfig` from the global modules.
 */
@Module({
  controllers: [AgentsController],
  providers: [AgentRepository, AgentRegistryService, AgentModeRouterService, HttpAgentClient, BuiltinAgentClient, A2aAgentClient, WorkerAgentClient],
  // WorkerAgentClient: libs/nodes binds its job queue to it (it stands above this library).
  exports: [AgentRegistryService, AgentModeRouterService, WorkerAgentClient],
})
export class AgentsModule {}
