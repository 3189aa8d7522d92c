import { Module, type DynamicModule, type Type } from '@nestjs/common';
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
import { InboxService } from './inbox.service.js';
import { InboxSignals } from './inbox-signals.js';
import { MessagePolicy, RoleTableMessagePolicy } from './message-policy.js';
import { MessageSweeperService } from './message-sweeper.service.js';
import { MessageTypeRepository } from './message-type.repository.js';
import { MessageTypeService } from './message-type.service.js';
import { MessageRepository } from './message.repository.js';
import { MessagingService } from './messaging.service.js';

export interface MessagingModuleOptions {
  /**
   * Who may send what to whom. Defaults to the role table and agent tokens; issue 13's policy
   * engine passes its own implementation here (and `imports` for its module).
   */
  policy?: Type<MessagePolicy>;
  imports?: DynamicModule['imports'];
}

/**
 * The hub as communication bus: message types, sending, pull inboxes, topics, request/reply
 * timeouts, external events. Needs the global `Database` and `BatonConfig`.
 */
@Module({})
export class MessagingModule {
  static register(options: MessagingModuleOptions = {}): DynamicModule {
    return {
      module: MessagingModule,
      imports: [IdentityModule, ...(options.imports ?? [])],
      controllers: [MessageTypesController, MessagesController, TopicsController, ExternalEventsController],
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
        { provide: MessagePolicy, useClass: options.policy ?? RoleTableMessagePolicy },
      ],
      exports: [MessagingService, MessageTypeService, ExternalEventsService, EventWaitService, InboxService],
    };
  }
}
