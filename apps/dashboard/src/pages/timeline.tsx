import { memo, useMemo } from 'react';
import type { BatonEvent } from '../api';
import { formatDuration } from '../components';

interface Attempt {
  step: string;
  attempt: number;
  start: number;
  end: number | null;
  outcome: string;
}

const MAX_ROWS = 200;
const ENDS: Record<string, string> = {
  'step.completed': 'completed',
  'step.failed': 'failed',
  'step.retrying': 'retrying',
  'step.skipped': 'skipped',
  'step.cancelled': 'cancelled',
  'step.waiting': 'waiting',
  // A looping step's iteration ends here; the next iteration starts a new attempt.
  'step.iteration_completed': 'completed',
};

/** A Gantt chart of step attempts, read from the run's events (started → its end). */
export const Timeline = memo(function Timeline(props: {
  events: BatonEvent[];
  eventCount: number;
  now: number;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const { attempts, rows, byStep } = useMemo(() => attemptsOf(props.events), [props.events, props.eventCount]); // eslint-disable-line react-hooks/exhaustive-deps
  if (attempts.length === 0) return <p className="muted">No attempt has started yet.</p>;
  let start = Infinity;
  let end = -Infinity;
  for (const a of attempts) {
    start = Math.min(start, a.start);
    end = Math.max(end, a.end ?? props.now);
  }
  end = Math.max(end, start + 1);
  const total = end - start;
  const shown = rows.slice(0, MAX_ROWS);
  return (
    <div className="timeline" role="table" aria-label="Attempts over time">
      <div className="timeline-axis muted" role="row">
        <span role="columnheader">step</span>
        <span role="columnheader">0 — {formatDuration(total)}</span>
      </div>
      {shown.map((step) => (
        <div className="timeline-row" role="row" key={step}>
          <button type="button" className="link" role="rowheader" aria-pressed={props.selected === step} onClick={() => props.onSelect(step)}>
            {step}
          </button>
          <div className="timeline-track" role="cell">
            {(byStep.get(step) ?? []).map((a) => {
                const left = ((a.start - start) / total) * 100;
                const width = Math.max((((a.end ?? props.now) - a.start) / total) * 100, 0.4);
                const label = `${step} attempt ${a.attempt}: ${a.outcome}, ${formatDuration((a.end ?? props.now) - a.start)}`;
                return <span key={a.attempt} className={`bar status-${a.outcome}`} style={{ left: `${left}%`, width: `${width}%` }} title={label} aria-label={label} />;
              })}
          </div>
        </div>
      ))}
      {rows.length > MAX_ROWS && <p className="muted">The first {MAX_ROWS} of {rows.length} steps to start are shown.</p>}
    </div>
  );
});

function attemptsOf(events: BatonEvent[]): { attempts: Attempt[]; rows: string[]; byStep: Map<string, Attempt[]> } {
  const open = new Map<string, Attempt>();
  const byStep = new Map<string, Attempt[]>();
  const attempts: Attempt[] = [];
  const rows: string[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (!event.stepKey) continue;
    const at = Date.parse(event.createdAt);
    if (event.type === 'step.started') {
      const attempt: Attempt = { step: event.stepKey, attempt: Number(event.data?.attempt ?? 1), start: at, end: null, outcome: 'running' };
      open.set(event.stepKey, attempt);
      attempts.push(attempt);
      byStep.set(event.stepKey, [...(byStep.get(event.stepKey) ?? []), attempt]);
      if (!seen.has(event.stepKey)) {
        seen.add(event.stepKey);
        rows.push(event.stepKey);
      }
      continue;
    }
    const outcome = ENDS[event.type];
    const attempt = open.get(event.stepKey);
    if (outcome && attempt) {
      attempt.end = at;
      attempt.outcome = outcome;
      if (outcome !== 'waiting') open.delete(event.stepKey);
    }
  }
  return { attempts, rows, byStep };
}
