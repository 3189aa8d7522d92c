import { presentRun } from '@baton/runs';
import type { SessionState } from '../sessions.service.js';

/**
 * A session's state: its own fields, the run's status as the session's, the run, and a
 * summary of the steps (counts by status, and which wait and why) instead of every step.
 */
export function presentSession({ session, run }: SessionState): Record<string, unknown> {
  const byStatus: Record<string, number> = {};
  for (const step of run?.steps ?? []) byStatus[step.status] = (byStatus[step.status] ?? 0) + 1;
  return {
    id: session.id,
    owner: session.owner,
    metadata: session.metadata,
    status: run?.status ?? 'starting',
    run_id: session.runId,
    run: run ? presentRun(run) : null,
    steps: {
      total: run?.stepsTotal ?? 0,
      done: run?.stepsDone ?? 0,
      by_status: byStatus,
      waiting: (run?.steps ?? [])
        .filter((step) => step.status === 'waiting')
        .map((step) => ({ id: step.key, type: step.type, wait_reason: step.waitReason })),
    },
    created_at: session.createdAt,
  };
}
