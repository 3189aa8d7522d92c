import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { BatonError, decodeKeysetCursor, encodeKeysetCursor } from '@baton/common';
import { principalOf } from '@baton/identity';
import type { Approval, ApprovalVote } from '../approval.types.js';
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
  async list(@Query() query: ListApprovalsQueryDto, @Req() request: Request) {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const approvals = await this.checkpoints.list({
      status: query.status,
      runId: query.runId,
      limit: limit + 1,
      after: query.cursor ? decodeKeysetCursor(query.cursor) : undefined,
    }, principalOf(request));
    const page = approvals.slice(0, limit);
    const last = page[page.length - 1];
    const votes = await this.checkpoints.decisionsFor(page.map((a) => a.id));
    return { approvals: page.map((a) => presentApproval(a, votes.get(a.id))), nextCursor: approvals.length > limit && last ? encodeKeysetCursor(last) : null };
  }

  @Get(':id')
  async get(@Param('id', ApprovalId) id: string, @Req() request: Request) {
    return this.present(await this.checkpoints.get(id, principalOf(request)));
  }

  @Post(':id/decision')
  @HttpCode(HttpStatus.OK)
  async decide(@Param('id', ApprovalId) id: string, @Body() body: DecisionDto, @Req() request: Request) {
    return this.present(await this.checkpoints.decide(id, body, principalOf(request)));
  }

  private async present(approval: Approval) {
    return presentApproval(approval, (await this.checkpoints.decisionsFor([approval.id])).get(approval.id));
  }
}

/**
 * An approval as the API shows it. `votes` (approval_decisions) adds every decision so far and
 * the quorum: `quorum.approved` of `quorum.needed` (`min_approvals`).
 */
export function presentApproval(approval: Approval, votes: ApprovalVote[] = []): Record<string, unknown> {
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
    approvers: approval.approvers,
    selfApproval: approval.selfApproval,
    quorum: { needed: approval.minApprovals, approved: votes.filter((v) => v.decision === 'approve').length },
    decisions: votes.map((v) => ({ decision: v.decision, decidedBy: v.decidedBy, comment: v.comment, decidedAt: v.decidedAt })),
  };
}
