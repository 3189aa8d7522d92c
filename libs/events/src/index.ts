export { EventsModule } from './events.module.js';
export { EventLogService } from './event-log.service.js';
export { APPENDED_EVENTS_JSON, EVENT_SOURCE_COLUMNS, EVENTS_CHANNEL, eventAppendCtes, eventPayload, eventsFromJson } from './event-log.repository.js';
export { EventLogHealth, isEventLogFailure, type EventLogFailure } from './event-log-health.js';
export { EventConsumers, type ConsumerSpec, type ConsumerHandle, type ConsumerRound } from './consumers/event-consumers.service.js';
export { EventStreamService, type EventSubscription } from './streams/event-stream.service.js';
export { positionKey } from './streams/global-tail.js';
export { RUN_OWNERS, RunOwnerCache, type RunOwners } from './streams/run-owners.js';
export type { StreamSink } from './streams/stream-pump.js';
export { presentStreamEvent, type StreamItem } from './streams/stream-reader.js';
export { parseRunCursor, formatRunCursor, type RunCursor } from './streams/run-cursor.js';
export { EventRetentionService } from './retention/event-retention.service.js';
export { EVENT_SOCKET_PATH, UPGRADE_AUTHORIZER, type UpgradeAuthorizer } from './ws/event-socket.server.js';
export {
  AGENT_EVENTS,
  type AgentEventCatalogue,
  type AgentEventType,
  type BreakerStateName,
  type NewAgentEvent,
  RUN_EVENTS,
  STEP_EVENTS,
  WORKFLOW_EVENTS,
  type WorkflowSnapshot,
  TERMINAL_RUN_EVENTS,
  domainEventName,
  type EventType,
  type EventCatalogue,
  type EventData,
  type EventError,
  type RunTransitionData,
  type StepOutcomeData,
  type ItemsProgressData,
  type Transition,
  type NewEvent,
  type RunEvent,
  type RunEventType,
  type StepEventType,
} from './event-types.js';
