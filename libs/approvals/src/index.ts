export { ApprovalsModule } from './approvals.module.js';
export { OrchestrationCheckpointService, TIMEOUT_DECIDER } from './checkpoint.service.js';
export { presentApproval } from './http/approvals.controller.js';
export type { Approval, ApprovalKind, ApprovalStatus, Decider, DecisionInput } from './approval.types.js';
/** The durable consumer that closes the open approvals of runs that ended (its cursor name). */
export { CLOSE_ON_RUN_END } from './approval-deadlines.service.js';
