import type { BatonEvent, Run, RunStatus, Step, StepStatus } from '../api';
import { StatusBadge } from '../components';

const STEP_STATUS_BY_EVENT: Record<string, StepStatus> = {
  'step.started': 'running',
  'step.completed': 'completed',
  'step.failed': 'failed',
  'step.skipped': 'skipped',
  'step.cancelled': 'cancelled',
  'step.retrying': 'queued',
  'step.recovered': 'queued',
  'step.waiting': 'waiting',
};
const RUN_STATUS_BY_EVENT: Record<string, RunStatus> = {
  'run.started': 'running',
  'run.waiting': 'waiting',
  'run.paused': 'paused',
  'run.resumed': 'running',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  'run.retried': 'running',
};

export function StepList({ steps, onSelect, selected }: { steps: Step[]; onSelect: (id: string) => void; selected: string | null }) {
  return (
    <ul className="step-list">
      {steps.map((step) => (
        <li key={step.id}>
          <button type="button" className="link" aria-pressed={step.id === selected} onClick={() => onSelect(step.id)}>
            {step.id}
          </button>{' '}
          <StatusBadge status={step.status} />
        </li>
      ))}
    </ul>
  );
}

/** The fetched run with the statuses that events received after its fetch started imply. */
export function overlay(run: Run | null, events: BatonEvent[], mark: number): Run | null {
  if (!run) return null;
  if (events.length <= mark) return run;
  const stepStatus = new Map<string, StepStatus>();
  let runStatus: RunStatus | null = null;
  for (let i = mark; i < events.length; i++) {
    const event = events[i]!;
    const status = STEP_STATUS_BY_EVENT[event.type];
    if (status && event.stepKey) stepStatus.set(event.stepKey, status);
    const next = RUN_STATUS_BY_EVENT[event.type];
    if (next) runStatus = next;
  }
  const steps = run.steps?.map((step) => {
    const status = stepStatus.get(step.id);
    return status && status !== step.status ? { ...step, status } : step;
  });
  const done = steps ? steps.filter((s) => ['completed', 'failed', 'skipped', 'cancelled'].includes(s.status)).length : run.progress.done;
  const total = run.progress.total;
  return {
    ...run,
    status: runStatus ?? run.status,
    steps,
    progress: { ...run.progress, done, percent: total ? Math.floor((100 * done) / total) : 100 },
  };
}
