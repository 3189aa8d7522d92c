import { OrchestrationCheckpointService, presentApproval } from '@baton/approvals';
import { decodeKeysetCursor, encodeKeysetCursor } from '@baton/common';
import type { McpTool } from './mcp-tool.js';
import { CURSOR_OUT, LIST, OBJECT, args, cursor, limit, result, text, uuid } from './schemas.js';

/** Human checkpoints: the operators' inbox and decisions. */
export function approvalTools(checkpoints: OrchestrationCheckpointService): McpTool[] {
  return [
    {
      name: 'list_approvals',
      title: 'List approvals',
      description: 'Approvals across runs, oldest first, optionally by status (pending: waiting for a decision) or of one run.',
      permissions: ['read'],
      inputSchema: args({
        status: { type: 'string', enum: ['pending', 'approved', 'rejected', 'expired', 'cancelled'] },
        runId: uuid('only the approvals of this run'),
        limit,
        cursor,
      }),
      outputSchema: result({ approvals: LIST, nextCursor: CURSOR_OUT }),
      async call(a, caller) {
        const size = a.limit ?? 50;
        const after = a.cursor ? decodeKeysetCursor(a.cursor) : undefined;
        const found = await checkpoints.list({ status: a.status, runId: a.runId, limit: size + 1, after }, caller.principal);
        const page = found.slice(0, size);
        const last = page[page.length - 1];
        return { approvals: page.map((approval) => presentApproval(approval)), nextCursor: found.length > size && last ? encodeKeysetCursor(last) : null };
      },
    },
    {
      name: 'decide_approval',
      title: 'Decide an approval',
      description:
        'Approves or rejects a pending approval (a checkpoint, a failure escalation, an agent\'s question). ' +
        'Human checkpoints need the approvals.decide permission; the token that submitted a run may answer its agents\' questions.',
      // Agents see the tool to answer their own agents' questions; the approvals service
      // decides, for every door alike, which approvals a caller may decide.
      permissions: ['approvals.decide', 'runs.submit'],
      inputSchema: args(
        {
          approvalId: uuid('the approval id'),
          decision: { type: 'string', enum: ['approve', 'reject'] },
          comment: text('why', 10_000),
          payload: { description: 'a replacement payload (approve only, when the checkpoint allows editing)' },
        },
        ['approvalId', 'decision'],
      ),
      outputSchema: result({ approval: OBJECT }),
      async call(a, caller) {
        const decided = await checkpoints.decide(a.approvalId, { decision: a.decision, comment: a.comment, payload: a.payload }, caller.principal);
        return { approval: presentApproval(decided) };
      },
    },
  ];
}
