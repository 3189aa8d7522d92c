import { Module, type DynamicModule } from '@nestjs/common';
import { EventsModule } from '@baton/events';
import { IdentityModule } from '@baton/identity';
import { PolicyModule } from '@baton/policy';
import { WebhooksModule } from '@baton/webhooks';
import { A2A_OPTIONS, type A2aModuleOptions } from './a2a.options.js';
import { AgentCardController } from './card/agent-card.controller.js';
import { AgentCardService } from './card/agent-card.service.js';
import { A2aPushConfigService } from './push/a2a-push-config.service.js';
import { A2aPushRenderer } from './push/a2a-push-renderer.js';
import { A2aRestController } from './rest/a2a-rest.controller.js';
import { A2aRestV03Controller } from './rest/a2a-rest-v03.controller.js';
import { A2aParseErrors } from './rpc/a2a-parse-errors.js';
import { A2aController } from './rpc/a2a.controller.js';
import { A2aRpcService } from './rpc/a2a-rpc.service.js';
import { A2aTaskStreamService } from './streaming/task-stream.service.js';
import { A2aSendService } from './tasks/a2a-send.service.js';
import { A2aTaskService } from './tasks/a2a-task.service.js';
import { TaskAccess } from './tasks/task-access.js';
import { A2aTaskHistoryService } from './tasks/task-history.service.js';

/**
 * The A2A gateway: Baton's agent card and `POST /a2a` for orchestrator agents, and push
 * notifications through the webhook outbox. `imports`
 * must provide the runs, approvals and definitions services (the app passes those modules).
 */
@Module({})
export class A2aModule {
  static register(options: A2aModuleOptions): DynamicModule {
    return {
      module: A2aModule,
      // WebhooksModule is the app's one instance (a static module): push configs are its
      // subscriptions, and the push renderer registers with its registry.
      imports: [EventsModule, WebhooksModule, IdentityModule, PolicyModule, ...(options.imports ?? [])],
      controllers: [AgentCardController, A2aController, A2aRestController, A2aRestV03Controller],
      providers: [
        { provide: A2A_OPTIONS, useValue: options },
        AgentCardService,
        A2aTaskService,
        TaskAccess,
        A2aTaskHistoryService,
        A2aSendService,
        A2aTaskStreamService,
        A2aRpcService,
        A2aPushConfigService,
        A2aPushRenderer,
        A2aParseErrors,
      ],
    };
  }
}
