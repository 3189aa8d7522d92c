import { Controller, Get, Headers, Inject, Param, ParseUUIDPipe, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BatonConfig, BatonError, boundOwnerOf } from '@baton/common';
import { EventStreamService } from '../streams/event-stream.service.js';
import { SseWriter } from './sse-writer.js';

const RunId = new ParseUUIDPipe({
  exceptionFactory: () => BatonError.validation([{ path: 'id', message: 'must be a UUID' }]),
});

/**
 * Server-Sent Events over the event log. `Last-Event-ID` (sent by EventSource on reconnect)
 * wins over `?after=`, which is for a first connection from a known point.
 */
@Controller('api/v1')
export class EventStreamsController {
  constructor(
    @Inject(EventStreamService) private readonly streams: EventStreamService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  /**
   * One run and its child runs (`event: child.<type>`), history then live; closes after the
   * run's terminal event. 204 when the cursor is already past the end, which tells
   * EventSource to stop reconnecting.
   */
  @Get('runs/:id/events')
  async runEvents(
    @Param('id', RunId) runId: string,
    @Query('after') after: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const writer = new SseWriter(response, this.config.sseHeartbeatMs, runId);
    // Tenancy: another owner's run is a 404 to a bound token, like a run without a log.
    const subscription = await this.streams.openRun(runId, lastEventId || after || null, writer, boundOwnerOf(request));
    if (!subscription) {
      response.status(204).end();
      return;
    }
    writer.open();
    closeWith(response, () => subscription.close());
  }

  /**
   * Every run's events in global order (`id` is the position); never ends. `?after=now`
   * starts at the current head (no history); `Last-Event-ID` still wins on a reconnect.
   */
  @Get('events')
  async allEvents(
    @Query('after') after: string | undefined,
    @Query('types') types: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const from = lastEventId || (after === 'now' ? await this.streams.headPosition() : after) || null;
    const writer = new SseWriter(response, this.config.sseHeartbeatMs);
    const filter = types ? types.split(',').map((t) => t.trim()).filter(Boolean) : null;
    // Tenancy: a bound token's feed carries only its owner's runs' events.
    const subscription = this.streams.openGlobal(from, filter, writer, boundOwnerOf(request));
    writer.open();
    closeWith(response, () => subscription.close());
  }
}

/** Stops the stream when the client goes, including if it went while the stream opened. */
function closeWith(response: Response, close: () => void): void {
  response.on('close', close);
  if (response.destroyed) close();
}
