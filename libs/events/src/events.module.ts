import { Module } from '@nestjs/common';
import { ConsumerCursorRepository } from './consumers/consumer-cursor.repository.js';
import { EventConsumers } from './consumers/event-consumers.service.js';
import { EventLogRepository } from './event-log.repository.js';
import { EventLogService } from './event-log.service.js';
import { EventStreamsController } from './http/event-streams.controller.js';
import { EventRetentionRepository } from './retention/event-retention.repository.js';
import { EventRetentionService } from './retention/event-retention.service.js';
import { EventFeed } from './streams/event-feed.service.js';
import { EventStreamService } from './streams/event-stream.service.js';
import { RunOwnerCache } from './streams/run-owners.js';
import { EventSocketServer } from './ws/event-socket.server.js';

/**
 * The event log and its readers: SSE (`/api/v1/runs/:id/events`, `/api/v1/events`), the
 * WebSocket at `/api/v1/ws`, and retention. Needs BatonConfig, Database and EventEmitter2
 * from the app.
 */
@Module({
  controllers: [EventStreamsController],
  providers: [
    EventLogRepository,
    EventLogService,
    EventFeed,
    EventStreamService,
    RunOwnerCache,
    EventSocketServer,
    EventRetentionRepository,
    EventRetentionService,
    ConsumerCursorRepository,
    EventConsumers,
  ],
  exports: [EventLogService, EventStreamService, RunOwnerCache, EventRetentionService, EventConsumers],
})
export class EventsModule {}
