export { ApprovalsModule } from './approvals.module.js';
export { OrchestrationCheckpointService, TIMEOUT_DECIDER } from './checkpoint.service.js';
export { presentApproval } from './http/approvals.controller.js';
export type { Approval, ApprovalKind, ApprovalStatus, Decider, DecisionInput } from './approval.types.js';
