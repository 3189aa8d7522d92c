import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { BatonError, assertOwnerReaches, boundOwnerOf } from '@baton/common';
import { ownedScheduleBody, scheduleOwner } from '../domain/schedule-owner.js';
import { ScheduleService } from '../services/schedule.service.js';
import { presentFire, presentSchedule } from './schedule.presenter.js';

const ScheduleId = new ParseUUIDPipe({
  exceptionFactory: () => BatonError.validation([{ path: 'id', message: 'must be a UUID' }]),
});

/**
 * `/api/v1/schedules`. Bodies are validated by `parseScheduleInput` (shared with the bootstrap
 * file) rather than a DTO class, so both report the same field paths.
 */
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(@Inject(ScheduleService) private readonly schedules: ScheduleService) {}

  @Post()
  async create(@Body() body: unknown, @Req() request: Request) {
    const schedule = await this.schedules.create(ownedScheduleBody(body, boundOwnerOf(request)), tokenIdOf(request));
    return presentSchedule(schedule, this.schedules.upcoming(schedule));
  }

  @Get()
  async list(@Req() request: Request) {
    const bound = boundOwnerOf(request);
    const visible = (await this.schedules.list()).filter((s) => bound === undefined || scheduleOwner(s) === bound);
    return { schedules: visible.map((s) => presentSchedule(s)) };
  }

  @Get(':id')
  async get(@Param('id', ScheduleId) id: string, @Req() request: Request) {
    const schedule = await this.owned(id, request);
    return presentSchedule(schedule, this.schedules.upcoming(schedule));
  }

  @Patch(':id')
  async update(@Param('id', ScheduleId) id: string, @Body() body: unknown, @Req() request: Request) {
    await this.owned(id, request);
    const schedule = await this.schedules.update(id, ownedScheduleBody(body, boundOwnerOf(request)));
    return presentSchedule(schedule, this.schedules.upcoming(schedule));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id', ScheduleId) id: string, @Req() request: Request) {
    await this.owned(id, request);
    await this.schedules.delete(id);
  }

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  async pause(@Param('id', ScheduleId) id: string, @Body() body: unknown, @Req() request: Request) {
    await this.owned(id, request);
    return presentSchedule(await this.schedules.pause(id, noteOf(body)));
  }

  @Post(':id/unpause')
  @HttpCode(HttpStatus.OK)
  async unpause(@Param('id', ScheduleId) id: string, @Body() body: unknown, @Req() request: Request) {
    await this.owned(id, request);
    return presentSchedule(await this.schedules.unpause(id, noteOf(body)));
  }

  @Post(':id/skip-next')
  @HttpCode(HttpStatus.OK)
  async skipNext(@Param('id', ScheduleId) id: string, @Body() body: unknown, @Req() request: Request) {
    await this.owned(id, request);
    const schedule = await this.schedules.skipNext(id, noteOf(body));
    return presentSchedule(schedule, this.schedules.upcoming(schedule));
  }

  @Post(':id/trigger')
  @HttpCode(HttpStatus.OK)
  async trigger(@Param('id', ScheduleId) id: string, @Req() request: Request) {
    await this.owned(id, request);
    return presentFire(await this.schedules.trigger(id));
  }

  @Post(':id/backfill')
  @HttpCode(HttpStatus.OK)
  async backfill(@Param('id', ScheduleId) id: string, @Body() body: unknown, @Req() request: Request) {
    await this.owned(id, request);
    return { fires: (await this.schedules.backfill(id, body)).map(presentFire) };
  }

  @Get(':id/history')
  async history(@Param('id', ScheduleId) id: string, @Query('limit') limit: string | undefined, @Req() request: Request) {
    await this.owned(id, request);
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw BatonError.validation([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
    return { fires: (await this.schedules.history(id, n)).map(presentFire) };
  }

  /** The schedule; another owner's is a 404 to a bound token, like a missing one (tenancy). */
  private async owned(id: string, request: Request) {
    const schedule = await this.schedules.get(id);
    assertOwnerReaches(boundOwnerOf(request), scheduleOwner(schedule), 'schedule', id);
    return schedule;
  }
}

function noteOf(body: unknown): string | null {
  const note = typeof body === 'object' && body !== null ? (body as { note?: unknown }).note : undefined;
  if (note === undefined || note === null) return null;
  if (typeof note !== 'string' || note.length > 2000) throw BatonError.validation([{ path: 'note', message: 'must be a string of at most 2000 characters' }]);
  return note;
}

function tokenIdOf(request: Request): string | null {
  const principal = (request as Request & { principal?: { tokenId?: unknown } }).principal;
  return typeof principal?.tokenId === 'string' ? principal.tokenId : null;
}
