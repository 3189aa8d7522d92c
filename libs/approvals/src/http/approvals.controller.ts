import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { BatonError, decodeKeysetCursor, encodeKeysetCursor } from '@baton/common';
import { principalOf } from '@baton/identity';
import type { Approval } from '../approval.types.js';
import { OrchestrationCheckpointService } from '../checkpoint.service.js';
import { DecisionDto, ListApprovalsQueryDto } from './decision.dto.js';

const ApprovalId = new ParseUUIDPipe({
  exceptionFactory: () => BatonError.validation([{ path: 'id', message: 'must be a UUID' }]),
});

/** The operators' inbox: approvals across runs, oldest first, and decisions. */
@Controller('api/v1/approvals')
export class ApprovalsController {
  constructor(@Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService) {}

  @Get()
  async list(@Query() query: ListApprovalsQueryDto) {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const approvals = await this.checkpoints.list({
      status: query.status,
      runId: query.runId,
      limit: limit + 1,
      after: query.cursor ? decodeKeysetCursor(query.cursor) : undefined,
    });
    const page = approvals.slice(0, limit);
    const last = page[page.length - 1];
    return { approvals: page.map(presentApproval), nextCursor: approvals.length > limit && last ? encodeKeysetCursor(last) : null };
  }

  @Get(':id')
  async get(@Param('id', ApprovalId) id: string) {
    return presentApproval(await this.checkpoints.get(id));
  }

  @Post(':id/decision')
  @HttpCode(HttpStatus.OK)
  async decide(@Param('id', ApprovalId) id: string, @Body() body: DecisionDto, @Req() request: Request) {
    return presentApproval(await this.checkpoints.decide(id, body, principalOf(request)));
  }
}

export function presentApproval(approval: Approval): Record<string, unknown> {
  return {
    id: approval.id,
    runId: approval.runId,
    stepId: approval.stepKey,
    attempt: approval.attempt,
    kind: approval.kind,
    round: approval.round,
    status: approval.status,
    prompt: approval.prompt,
    payload: approval.payload,
    allowEdit: approval.allowEdit,
    schema: approval.schema,
    onTimeout: approval.onTimeout,
    expiresAt: approval.expiresAt,
    decision: approval.decision,
    comment: approval.comment,
    decidedPayload: approval.status === 'approved' ? approval.decidedPayload : null,
    decidedBy: approval.decidedBy,
    decidedAt: approval.decidedAt,
    createdAt: approval.createdAt,
  };
}
