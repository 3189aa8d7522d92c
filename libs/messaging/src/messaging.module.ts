import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AgentsModule } from '@baton/agents';
import { EventsModule } from '@baton/events';
import { IdentityModule } from '@baton/identity';
import { DeliveryRepository } from './delivery.repository.js';
import { EventWaitRepository } from './event-wait.repository.js';
import { EventWaitService } from './event-wait.service.js';
import { ExternalEventRepository } from './external-event.repository.js';
import { ExternalEventsService } from './external-events.service.js';
import { ExternalEventsController } from './http/external-events.controller.js';
import { MessageTypesController } from './http/message-types.controller.js';
import { MessagesController } from './http/messages.controller.js';
import { TopicsController } from './http/topics.controller.js';
import { InboxController } from './http/inbox.controller.js';
import { InboxEndpointRepository } from './inbox-endpoint.repository.js';
import { InboxEndpointService } from './inbox-endpoint.service.js';
import { InboxStreamService } from './inbox-stream.service.js';
import { PushDeliveryService } from './push-delivery.service.js';
import { RunLog } from './run-log.js';
import { TriggerDispatcherService } from './trigger-dispatcher.service.js';
import { TriggerRepository } from './trigger.repository.js';
import { InboxService } from './inbox.service.js';
import { InboxSignals } from './inbox-signals.js';
import { PolicyModule } from '@baton/policy';
import { CedarMessagePolicy } from './cedar-message-policy.js';
import { MessagePolicy } from './message-policy.js';
import { MessageSweeperService } from './message-sweeper.service.js';
import { MessageTypeRepository } from './message-type.repository.js';
import { MessageTypeService } from './message-type.service.js';
import { MessageRepository } from './message.repository.js';
import { MessagingService } from './messaging.service.js';

export interface MessagingModuleOptions {
  /**
   * Who may send what to whom. Defaults to the active Cedar policy set (`CedarMessagePolicy`);
   * `RoleTableMessagePolicy` is the role table it replaced.
   */
  policy?: Type<MessagePolicy>;
  /** Must provide the runs and definitions services (wait steps, triggers, run logs). */
  imports: DynamicModule['imports'];
}

/**
 * The hub as communication bus: message types, sending, pull, push and SSE inboxes, topics,
 * request/reply timeouts, external events, event waits and triggers. Needs the global
 * `Database` and `BatonConfig`; `imports` gives it the runs and definitions modules.
 */
@Module({})
export class MessagingModule {
  static register(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      imports: [IdentityModule, PolicyModule, EventsModule, AgentsModule, ...(options.imports ?? [])],
      // InboxController before MessagesController: `inbox/endpoint` and `inbox/stream` are not `:id`s.
      controllers: [MessageTypesController, InboxController, MessagesController, TopicsController, ExternalEventsController],
      providers: [
        MessageTypeRepository,
        MessageRepository,
        DeliveryRepository,
        ExternalEventRepository,
        EventWaitRepository,
        EventWaitService,
        MessageTypeService,
        ExternalEventsService,
        InboxSignals,
        InboxService,
        MessagingService,
        MessageSweeperService,
        RunLog,
        InboxEndpointRepository,
        InboxEndpointService,
        InboxStreamService,
        PushDeliveryService,
        TriggerRepository,
        TriggerDispatcherService,
        { provide: MessagePolicy, useClass: options.policy ?? CedarMessagePolicy },
      ],
      exports: [MessagingService, MessageTypeService, ExternalEventsService, EventWaitService, InboxService],
    };
  }
}
