export { EventsModule } from './events.module.js';
export { EventLogService } from './event-log.service.js';
export {
  RUN_EVENTS,
  STEP_EVENTS,
  TERMINAL_RUN_EVENTS,
  domainEventName,
  type EventType,
  type NewEvent,
  type RunEvent,
  type RunEventType,
  type StepEventType,
} from './event-types.js';
