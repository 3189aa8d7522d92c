export { ApprovalsModule } from './approvals.module.js';
export { OrchestrationCheckpointService, TIMEOUT_DECIDER } from './checkpoint.service.js';
export { presentApproval } from './http/approvals.controller.js';
export type { Approval, ApprovalKind, ApprovalStatus, ApprovalVote, Approvers, Decider, DecisionInput } from './approval.types.js';
export { APPROVAL_MACHINE, APPROVAL_MOVES, OPEN_APPROVAL_STATUSES } from './approval-status.js';
/** The durable consumer that closes the open approvals of runs that ended (its cursor name). */
export { CLOSE_ON_RUN_END } from './approval-deadlines.service.js';
