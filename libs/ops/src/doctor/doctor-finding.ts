/**
 * The invariants the doctor checks (issue 16): each kind is a way peers' engines are known to
 * strand work, with the safe remedy `fix` applies.
 */
export const FINDING_KINDS = [
  'expired_lease',
  'unclaimed_queued_step',
  'run_without_open_steps',
  'waiting_on_closed_approval',
  'waiting_on_finished_child',
  'leaked_slot',
  'open_approval_of_finished_run',
  'child_of_finished_parent',
  'wait_for_arrived_event',
  'overdue_schedule',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** The run concerned; null for a schedule. */
  runId: string | null;
  stepId: string | null;
  stepKey: string | null;
  /** What is wrong, in words. */
  explanation: string;
  /** What `fix` does about it. */
  remedy: string;
  /** The lease token seen, so a repair never touches a step that moved on meanwhile. */
  leaseToken?: number;
  /** The approval left open (`open_approval_of_finished_run`). */
  approvalId?: string;
  /** The finished parent (`child_of_finished_parent`). */
  parentRunId?: string;
  /** The stored event the wait missed (`wait_for_arrived_event`). */
  eventId?: string;
  /** The schedule that did not fire (`overdue_schedule`). */
  scheduleId?: string;
}

export const REMEDIES: Record<FindingKind, string> = {
  expired_lease: 'hand the step back to the queue (same attempt), as the sweep would',
  unclaimed_queued_step: 'signal every instance that work is available',
  run_without_open_steps: 'fail the run (nothing is left that could finish it); retry its steps to run them again',
  waiting_on_closed_approval: 'wake the step so it reads the decision',
  waiting_on_finished_child: 'wake the step so it collects the child run',
  leaked_slot: 'cancel the step: its run is finished, so its slot is freed',
  open_approval_of_finished_run: 'cancel the approval: nothing waits for its decision any more',
  child_of_finished_parent: 'cancel the child run (and its steps and children): its parent will never collect it',
  wait_for_arrived_event: 'match the wait with the stored event and signal it, as recording the event would have',
  overdue_schedule: 'wake the scheduler on every instance so it records the due fires',
};
