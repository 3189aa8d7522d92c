export { MessagingModule, type MessagingModuleOptions } from './messaging.module.js';
export { MessagingService, type SendMessageInput } from './messaging.service.js';
export { InboxService } from './inbox.service.js';
export { toMessageResponse, toInboxResponse, toEventResponse } from './http/message.presenter.js';
export { MessageTypeService } from './message-type.service.js';
export { ExternalEventsService } from './external-events.service.js';
export {
  EventWaitService,
  EVENT_WAIT_MATCHED,
  EVENT_WAIT_TIMED_OUT,
  type EventWaitSignal,
  type WaitForEventInput,
} from './event-wait.service.js';
export type { EventWait } from './event-wait.repository.js';
export { EVENT_WAIT_MACHINE, EVENT_WAIT_MOVES, OPEN_EVENT_WAIT_STATUSES, type EventWaitStatus } from './event-wait-status.js';
export { MESSAGE_DELIVERY_MACHINE, MESSAGE_DELIVERY_MOVES, type MessageDeliveryStatus } from './message-delivery-status.js';
export { CedarMessagePolicy } from './cedar-message-policy.js';
export { MessagePolicy, RoleTableMessagePolicy, type MessageSendRequest, type MessageSendDecision } from './message-policy.js';
export { INBOX_CHANNEL } from './inbox-signals.js';
export {
  MESSAGE_KINDS,
  HUB_SENDER,
  TIMEOUT_TYPE,
  type MessageKind,
  type MessageTarget,
  type MessageType,
  type Message,
  type InboxItem,
  type ExternalEvent,
} from './message.types.js';
