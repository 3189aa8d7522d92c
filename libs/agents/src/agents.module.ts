import { Module } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { AgentModeRouterService } from './agent-mode-router.service.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { AgentHeaderBox } from './agent-header-box.js';
import { AgentSecretsSealer } from './agent-secrets.js';
import { AgentRepository } from './agent.repository.js';
import { CallTokenService } from './call-tokens/call-token.service.js';
import { JwksController } from './call-tokens/jwks.controller.js';
import { SigningKeyRepository } from './call-tokens/signing-key.repository.js';
import { SigningKeysService } from './call-tokens/signing-keys.service.js';
import { A2aAgentClient } from './clients/a2a-agent.client.js';
import { BuiltinAgentClient } from './clients/builtin-agent.client.js';
import { HttpAgentClient } from './clients/http-agent.client.js';
import { WorkerAgentClient } from './clients/worker-agent.client.js';
import { AgentsController } from './http/agents.controller.js';

/**
 * The agent registry, the mode router, the agent clients, and Baton's signing keys and call
 * tokens (issue 13). Needs `Database` and `BatonConfig` from the global modules.
 */
@Module({
  controllers: [AgentsController, JwksController],
  providers: [
    { provide: AgentHeaderBox, useFactory: (config: BatonConfig) => new AgentHeaderBox(config.secretKey), inject: [BatonConfig] },
    AgentRepository,
    AgentSecretsSealer,
    AgentRegistryService,
    AgentModeRouterService,
    SigningKeyRepository,
    SigningKeysService,
    CallTokenService,
    HttpAgentClient,
    BuiltinAgentClient,
    A2aAgentClient,
    WorkerAgentClient,
  ],
  // WorkerAgentClient: libs/nodes binds its job queue to it (it stands above this library).
  exports: [AgentRegistryService, AgentModeRouterService, WorkerAgentClient, SigningKeysService, CallTokenService],
})
export class AgentsModule {}
