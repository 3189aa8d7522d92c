import { Module } from '@nestjs/common';
import { EventLogRepository } from './event-log.repository.js';
import { EventLogService } from './event-log.service.js';

@Module({ providers: [EventLogRepository, EventLogService], exports: [EventLogService] })
export class EventsModule {}
