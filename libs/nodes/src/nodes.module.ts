import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AgentsModule } from '@baton/agents';
import { JobRepository } from './job.repository.js';
import { NodeRepository } from './node.repository.js';
import { NodeSweeper } from './node-sweeper.service.js';
import { NodesService } from './nodes.service.js';
import { RegistrationTokenRepository } from './registration-token.repository.js';
import { NodeAuthGuard, RegistrationGuard } from './http/node-auth.guard.js';
import { NodeProtocolController } from './http/node-protocol.controller.js';
import { NodesController } from './http/nodes.controller.js';
import { WorkerJobsService } from './worker-jobs.service.js';

/**
 * Worker nodes: registration, configuration, heartbeats and the job queue of `worker`
 * agents. Binds its queue to the agents library's `WorkerAgentClient` at start-up.
 * `imports` must provide the runs module (the app passes it): a finished job wakes its step.
 */
@Module({})
export class NodesModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: NodesModule,
      imports: [AgentsModule, ...(options.imports ?? [])],
      // The protocol controller first: its literal `register` route must win over `:id`.
      controllers: [NodeProtocolController, NodesController],
      providers: [NodeRepository, JobRepository, RegistrationTokenRepository, NodesService, WorkerJobsService, NodeSweeper, NodeAuthGuard, RegistrationGuard],
      exports: [NodesService],
    };
  }
}
