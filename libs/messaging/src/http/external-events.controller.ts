import { Body, Controller, Get, Inject, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentPrincipal, principalLabel, type Principal } from '@baton/identity';
import { ExternalEventsService } from '../external-events.service.js';
import { toEventResponse } from './message.presenter.js';
import { ExternalEventDto, ListQueryDto } from './send-message.dto.js';

/**
 * Events from outside Baton. `GET /api/v1/events` is already the global SSE feed of run
 * events, so external events live one level down.
 */
@Controller('api/v1/events/external')
export class ExternalEventsController {
  constructor(@Inject(ExternalEventsService) private readonly events: ExternalEventsService) {}

  /** 201 when stored, 200 with the stored event when its `id` was posted before. */
  @Post()
  async record(
    @CurrentPrincipal() caller: Principal,
    @Body() body: ExternalEventDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Record<string, unknown>> {
    const { event, created } = await this.events.record(body, principalLabel(caller));
    response.status(created ? 201 : 200);
    return { ...toEventResponse(event), created };
  }

  @Get()
  async list(@Query() query: ListQueryDto): Promise<{ items: Record<string, unknown>[] }> {
    const events = await this.events.list(query.limit ?? 50, query.name);
    return {
      items: events.map((event) => ({
        ...toEventResponse(event),
        runs: {
          started: event.started.map((s) => ({ run_id: s.runId, trigger: s.trigger })),
          resumed: event.resumed.map((r) => ({ run_id: r.runId, step_key: r.stepKey })),
        },
      })),
    };
  }
}
