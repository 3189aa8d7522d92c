import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { BatonError, boundOwnerOf } from '@baton/common';
import { presentRun, type RunActor } from '@baton/runs';
import { WorkflowService } from '../workflow.service.js';
import { presentCreated, presentStatus } from './workflow.presenter.js';

const WorkflowId = new ParseUUIDPipe({
  exceptionFactory: () => BatonError.validation([{ path: 'id', message: 'must be a UUID' }]),
});

/**
 * `/api/v1/workflows`: the seed's workflow API. Bodies are `unknown` (JSON or a YAML string):
 * the translator reports every problem by its path in the document, as the definitions
 * validator does.
 */
@Controller('api/v1/workflows')
export class WorkflowsController {
  constructor(@Inject(WorkflowService) private readonly workflows: WorkflowService) {}

  @Post()
  async create(@Body() body: unknown, @Req() request: Request) {
    assertUnboundCreator(request);
    const { workflow, report } = await this.workflows.create(body, tokenIdOf(request));
    return presentCreated(workflow, report);
  }

  @Get(':id')
  async get(@Param('id', WorkflowId) id: string, @Req() request: Request) {
    assertUnbound(id, request);
    const workflow = await this.workflows.get(id);
    return { ...presentCreated(workflow, undefined), validation_report: undefined, document: workflow.document, created_at: workflow.createdAt.toISOString() };
  }

  @Post(':id/execute')
  @HttpCode(HttpStatus.ACCEPTED)
  async execute(@Param('id', WorkflowId) id: string, @Body() body: unknown, @Req() request: Request) {
    assertUnbound(id, request);
    const { workflow, run } = await this.workflows.execute(id, body, tokenIdOf(request));
    return {
      execution_id: run.id,
      workflow_id: workflow.id,
      status: 'planning',
      allocated_agents: workflow.translation.hints.agents.map((a) => ({ type: a.type, count: a.count })),
      execution_url: `/api/v1/runs/${run.id}`,
      status_url: `/api/v1/workflows/${workflow.id}/status`,
    };
  }

  @Get(':id/status')
  async status(@Param('id', WorkflowId) id: string, @Req() request: Request) {
    assertUnbound(id, request);
    const { workflow, run } = await this.workflows.latestRun(id);
    return presentStatus(workflow, run);
  }

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  async pause(@Param('id', WorkflowId) id: string, @Req() request: Request) {
    assertUnbound(id, request);
    const { run, checkpointId } = await this.workflows.pause(id, actorOf(request));
    return { workflow_id: id, execution_id: run.id, status: run.status, checkpoint_id: checkpointId, resume_url: `/api/v1/runs/${run.id}/resume`, run: presentRun(run) };
  }
}

/**
 * Workflows and their runs belong to no owner (owner ""). A token bound to an owner (tenancy,
 * issue 13) reaches only its owner's runs, so for it a workflow does not exist.
 */
function assertUnbound(id: string, request: Request): void {
  if (boundOwnerOf(request) !== undefined) throw BatonError.notFound('workflow', id);
}

/** Workflows are unowned, so a bound token may not create one: it could not see it afterwards. */
function assertUnboundCreator(request: Request): void {
  const bound = boundOwnerOf(request);
  if (bound !== undefined) throw new BatonError('forbidden', `this token is bound to owner ${bound}; workflows belong to no owner, so it may not create them`);
}

function tokenIdOf(request: Request): string | null {
  const principal = (request as Request & { principal?: { tokenId?: unknown } }).principal;
  return typeof principal?.tokenId === 'string' ? principal.tokenId : null;
}

/** Pause is a `runs.control` route (access policy), so the caller steers any run. */
function actorOf(request: Request): RunActor {
  const principal = (request as unknown as { principal?: { tokenId?: unknown; name?: unknown } }).principal;
  if (typeof principal?.tokenId !== 'string') return { anonymous: true };
  return { tokenId: principal.tokenId, name: String(principal.name), controlsAnyRun: true };
}
