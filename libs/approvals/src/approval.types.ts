/** A decision a person must make about one step attempt. */
/**
 * `checkpoint` step, `failure` (notify_human), `agent_input` (a remote agent asked a question),
 * `budget` (a run tree's budget stopped a step under `on_exceed: ask`; approving raises it), or
 * `compensation` (a saga compensation failed for good; approve = retry, reject = give up).
 */
export type ApprovalKind = 'checkpoint' | 'failure' | 'agent_input' | 'budget' | 'compensation';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type OnTimeout = 'reject' | 'approve' | 'fail';

/**
 * Who decided: a token's identity (`id`, `name`, `role`), a person's (`subject`, `name`,
 * `email`, `role`), or the system for deadlines.
 */
export interface Decider {
  id?: string;
  name: string;
  role?: string;
  subject?: string;
  email?: string | null;
}

/** Who may decide a checkpoint (issue 13); absent on an approval: anyone holding approval.decide. */
export interface Approvers {
  /** OIDC groups (a person's groups claim). */
  groups: string[];
  /** People by subject or email; API tokens as `token:<name>`. */
  users: string[];
}

/** One person's (or token's) decision on an approval; a quorum counts these. */
export interface ApprovalVote {
  decision: 'approve' | 'reject';
  decidedBy: Decider;
  comment: string | null;
  decidedAt: Date;
}

export interface Approval {
  id: string;
  runId: string;
  /** The run's owner, copied when the approval opened (tenancy, issue 13); `''` for none. */
  owner: string;
  stepId: string;
  stepKey: string;
  attempt: number;
  kind: ApprovalKind;
  /** Several questions within one attempt (an agent asking again) are rounds 0, 1, ... */
  round: number;
  status: ApprovalStatus;
  prompt: string | null;
  payload: unknown;
  schema: Record<string, unknown> | null;
  allowEdit: boolean;
  onTimeout: OnTimeout;
  expiresAt: Date | null;
  decision: 'approve' | 'reject' | null;
  comment: string | null;
  /** What an approval passes on as the step's output (the edited payload, or the original). */
  decidedPayload: unknown;
  decidedBy: Decider | null;
  decidedAt: Date | null;
  createdAt: Date;
  approvers: Approvers | null;
  /** False: the run's submitter may not approve. */
  selfApproval: boolean;
  /** Distinct approvals needed; one reject rejects. */
  minApprovals: number;
}

export interface NewApproval {
  runId: string;
  /** The run's owner (tenancy): bound tokens see only their owner's approvals. */
  owner: string;
  stepId: string;
  stepKey: string;
  attempt: number;
  kind: ApprovalKind;
  round?: number;
  prompt: string | null;
  payload: unknown;
  schema: Record<string, unknown> | null;
  allowEdit: boolean;
  onTimeout: OnTimeout;
  timeoutSeconds: number | null;
  approvers?: Approvers | null;
  selfApproval?: boolean;
  minApprovals?: number;
}

export interface DecisionInput {
  /** `retry` and `give_up` are the words of a `compensation` approval, for approve and reject. */
  decision: 'approve' | 'reject' | 'retry' | 'give_up';
  comment?: string;
  payload?: unknown;
}

/** A page of the inbox; `owner` (tenancy) keeps one owner's approvals only. */
export interface ApprovalFilter {
  status?: ApprovalStatus;
  runId?: string;
  owner?: string;
  limit: number;
  after?: { createdAt: string; id: string };
}
