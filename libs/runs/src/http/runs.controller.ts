import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Request, Response } from 'express';
import { BatonError, boundOwnerOf } from '@baton/common';
import { OrchestrationRunFactoryService } from '../services/run-factory.service.js';
import { RunControlService } from '../services/run-control.service.js';
import { RunQueryService, budgetView } from '../services/run-query.service.js';
import { RunBudgetService } from '../services/run-budget.service.js';
import type { RunActor } from '../domain/run-actor.js';
import { DelayedRunScheduler } from '../domain/delayed-runs.js';
import { CreateRunDto, ListRunsQueryDto } from './create-run.dto.js';
import { presentRun, presentRunWithSteps } from './run.presenter.js';
import { RunAccess } from './run-access.js';

const RunId = new ParseUUIDPipe({
  exceptionFactory: () => BatonError.validation([{ path: 'id', message: 'must be a UUID' }]),
});

@Controller('api/v1/runs')
export class RunsController {
  constructor(
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(RunQueryService) private readonly query: RunQueryService,
    @Inject(RunControlService) private readonly control: RunControlService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(RunAccess) private readonly access: RunAccess,
  ) {}

  /** 201 with the new run; 200 with the existing one for a repeated idempotency key. */
  @Post()
  async create(@Body() body: CreateRunDto, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { startAt, timeout_seconds: timeoutSeconds, ...rest } = body;
    if (startAt !== undefined && Number.isNaN(Date.parse(startAt))) {
      throw BatonError.validation([{ path: 'startAt', message: 'must be a valid date-time' }]);
    }
    if (startAt !== undefined && rest.budget !== undefined) {
      // A one-off schedule stores a definition and input only; the budget would be lost.
      throw BatonError.validation([{ path: 'budget', message: 'cannot be combined with startAt; put the budget in the definition' }]);
    }
    if (startAt !== undefined && new Date(startAt).getTime() > Date.now()) {
      // A later start is a one-off schedule (libs/scheduler): 202 with the schedule, no run yet.
      const scheduler = this.moduleRef.get(DelayedRunScheduler, { strict: false });
      const scheduled = await scheduler.scheduleRun({ ...ownedRequest(rest, boundOwnerOf(request)), submittedBy: tokenIdOf(request) }, new Date(startAt));
      response.status(HttpStatus.ACCEPTED);
      return { status: 'scheduled', scheduleId: scheduled.scheduleId, startAt: scheduled.startAt.toISOString() };
    }
    const { run, created } = await this.factory.create({ ...ownedRequest(rest, boundOwnerOf(request)), submittedBy: tokenIdOf(request), submittedByPerson: personOf(request), timeoutSeconds });
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return presentRunWithSteps(await this.query.get(run.id));
  }

  @Get()
  async list(@Query() query: ListRunsQueryDto, @Req() request: Request) {
    const bound = boundOwnerOf(request);
    if (bound !== undefined && query.owner !== undefined && query.owner !== bound) return { runs: [], nextCursor: null };
    const page = await this.query.list(bound === undefined ? query : { ...query, owner: bound });
    return { runs: page.runs.map(presentRun), nextCursor: page.nextCursor };
  }

  @Get(':id')
  async get(@Param('id', RunId) id: string, @Req() request: Request) {
    const run = await this.query.get(id);
    assertVisible(run.owner, id, request);
    return presentRunWithSteps(run);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancel(@Param('id', RunId) id: string, @Body() body: Record<string, unknown> | undefined, @Req() request: Request) {
    await this.access.check(id, 'run.cancel', request);
    return presentRun(await this.control.cancel(id, actorOf(request), undefined, readCompensateFlag(body)));
  }

  /** Saga compensation by hand: a failed run rolls back its completed steps that declare `compensate`. */
  @Post(':id/compensate')
  @HttpCode(HttpStatus.ACCEPTED)
  async compensate(@Param('id', RunId) id: string, @Req() request: Request) {
    await this.access.check(id, 'run.compensate', request);
    return presentRun(await this.control.compensate(id, actorOf(request)));
  }

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  async pause(@Param('id', RunId) id: string, @Req() request: Request) {
    await this.access.check(id, 'run.pause', request);
    return presentRun(await this.control.pause(id, actorOf(request)));
  }

  @Post(':id/resume')
  @HttpCode(HttpStatus.OK)
  async resume(@Param('id', RunId) id: string, @Req() request: Request) {
    await this.access.check(id, 'run.resume', request);
    return presentRun(await this.control.resume(id, actorOf(request)));
  }

  @Post(':id/steps/:stepId/retry')
  @HttpCode(HttpStatus.OK)
  async retryStep(@Param('id', RunId) id: string, @Param('stepId') stepId: string, @Req() request: Request) {
    await this.access.check(id, 'step.retry', request);
    await this.control.retryStep(id, stepId, actorOf(request));
    return presentRunWithSteps(await this.query.get(id));
  }

  /**
   * Sets new limits (and optionally `on_exceed`) on the budget covering the run's tree and
   * clears its exceeded mark: a tree the budget paused continues once resumed; 409 without a budget.
   */
  @Patch(':id/budget')
  async raiseBudget(@Param('id', RunId) id: string, @Body() body: Record<string, unknown>, @Req() request: Request) {
    await this.access.check(id, 'run.budget', request);
    const actor = actorOf(request);
    const state = await this.budgets.raise(id, body, actor, 'anonymous' in actor ? 'anonymous' : actor.name);
    return budgetView(state);
  }

}

function assertVisible(owner: string, id: string, request: Request): void {
  const bound = boundOwnerOf(request);
  if (bound !== undefined && owner !== bound) throw BatonError.notFound('run', id);
}

/** A bound token starts runs of its own owner only: the owner defaults to it, another is 403. */
function ownedRequest(body: CreateRunDto, bound: string | undefined): CreateRunDto & { planOwner?: string } {
  if (bound === undefined) return body;
  if (!body.definition) return { ...body, planOwner: bound };
  const owner = body.definition.owner ?? bound;
  if (owner !== bound) throw new BatonError('forbidden', `this token is bound to owner ${bound}; it may not start runs of owner ${owner}`);
  return { ...body, definition: { ...body.definition, owner } };
}

/** The signed-in person's OIDC subject (`request.principal.subject`), read by shape like `tokenIdOf`. */
function personOf(request: Request): string | null {
  const principal = (request as unknown as { principal?: { subject?: unknown } }).principal;
  return typeof principal?.subject === 'string' ? principal.subject : null;
}

/**
 * The caller's API token id, as the access guard set it (`request.principal`; read by shape
 * because `identity` stands on this library's floor). Null when auth is off.
 */
function tokenIdOf(request: Request): string | null {
  const principal = (request as unknown as { principal?: { tokenId?: unknown } }).principal;
  return typeof principal?.tokenId === 'string' ? principal.tokenId : null;
}

/**
 * The actor of a steering route. The access policy lets only `runs.control` holders reach
 * these routes, so a token here controls any run of the owners it reaches (`RunAccess`, which also asks the policy set about the run itself).
 */
export function actorOf(request: Request): RunActor {
  const principal = (request as unknown as { principal?: { tokenId?: unknown; name?: unknown } }).principal;
  if (typeof principal?.tokenId !== 'string') return { anonymous: true };
  return { tokenId: principal.tokenId, name: String(principal.name), controlsAnyRun: true };
}

/** `POST /runs/:id/cancel` takes an optional `{ compensate: boolean }`. */
function readCompensateFlag(body: unknown): boolean {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) return false;
  if (typeof body !== 'object' || Array.isArray(body)) throw BatonError.validation([{ path: 'body', message: 'must be an object like { compensate: true }' }]);
  const { compensate } = body as Record<string, unknown>;
  if (compensate !== undefined && typeof compensate !== 'boolean') throw BatonError.validation([{ path: 'compensate', message: 'must be a boolean' }]);
  return compensate === true;
}
