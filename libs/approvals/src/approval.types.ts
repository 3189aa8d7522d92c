/** A decision a person must make about one step attempt. */
/**
 * `checkpoint` step, `failure` (notify_human), `agent_input` (a remote agent asked a question),
 * or `budget` (a run tree's budget stopped a step under `on_exceed: ask`; approving raises it).
 */
export type ApprovalKind = 'checkpoint' | 'failure' | 'agent_input' | 'budget';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type OnTimeout = 'reject' | 'approve' | 'fail';

/** Who decided: a token's identity, or the system for deadlines. */
export interface Decider {
  id?: string;
  name: string;
  role?: string;
}

export interface Approval {
  id: string;
  runId: string;
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
}

export interface NewApproval {
  runId: string;
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
}

export interface DecisionInput {
  decision: 'approve' | 'reject';
  comment?: string;
  payload?: unknown;
}
