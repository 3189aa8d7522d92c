import { Module } from '@nestjs/common';
import { AgentsModule } from '@baton/agents';
import { JobRepository } from './job.repository.js';
import { NodeRepository } from './node.repository.js';
import { NodesService } from './nodes.service.js';
import { NodeAuthGuard, RegistrationGuard } from './http/node-auth.guard.js';
import { NodeProtocolController } from './http/node-protocol.controller.js';
import { NodesController } from './http/nodes.controller.js';
import { WorkerJobsService } from './worker-jobs.service.js';

/**
 * Worker nodes: registration, configuration, heartbeats and the job queue of `worker`
 * agents. Binds its queue to the agents library's `WorkerAgentClient` at start-up.
 */
@Module({
  imports: [AgentsModule],
  // The protocol controller first: its literal `register` route must win over `:id`.
  controllers: [NodeProtocolController, NodesController],
  providers: [NodeRepository, JobRepository, NodesService, WorkerJobsService, NodeAuthGuard, RegistrationGuard],
  exports: [NodesService],
})
export class NodesModule {}
