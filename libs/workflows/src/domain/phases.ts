/** What the seed calls each run status (its "phase"). */
const PHASES: Record<string, string> = {
  pending: 'planning',
  running: 'executing',
  waiting: 'executing',
  compensating: 'compensating',
  paused: 'paused',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The seed's phase name for a run status; `validated` before the first execution. */
export function phaseOf(status: string | undefined): string {
  return status === undefined ? 'validated' : (PHASES[status] ?? status);
}
