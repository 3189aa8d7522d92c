import type { LoopIteration, PatternTurn, Step } from '../api';
import { Json, StatusBadge, formatDuration, formatTime, span } from '../components';
import type { ItemProgress } from './unfold';

/** What a skipped step says about why (a false condition, or an error `allow_skip` let pass). */
export function SkipReason({ step }: { step: Step }) {
  if (step.status !== 'skipped' || !step.skip_reason) return null;
  return (
    <p className="notice" data-testid="skip-reason">
      Skipped: {step.skip_reason === 'condition' ? 'its condition was false' : step.skip_reason}.
    </p>
  );
}

/** A pattern step's turns, in turn order: who spoke, how it went, what went in and out. */
export function Turns({ step, now }: { step: Step; now: number }) {
  if (!step.turns) return null;
  return (
    <>
      <h3>
        Turns{step.pattern ? ` of ${step.pattern}` : ''} ({step.turns.length})
      </h3>
      <ol className="inner-list" data-testid="step-turns">
        {step.turns.map((turn: PatternTurn) => (
          <li key={turn.turn} data-turn={turn.turn}>
            <details>
              <summary>
                #{turn.turn} <strong>{turn.agent}</strong> <StatusBadge status={turn.status} />
                <span className="muted">
                  {' '}
                  attempt {turn.attempt}
                  {turn.cache_hit ? ' · cache hit' : ''} · {formatDuration(span(turn.started_at, turn.finished_at, now))}
                </span>
              </summary>
              {turn.error && <p className="notice error">{turn.error.message}</p>}
              <Json value={turn.input ?? undefined} label={`turn ${turn.turn} input`} />
              <Json value={turn.output ?? undefined} label={`turn ${turn.turn} output`} />
            </details>
          </li>
        ))}
        {step.turns.length === 0 && <li className="muted">No turns yet.</li>}
      </ol>
    </>
  );
}

/** A looping step's iterations so far. */
export function Iterations({ step, now }: { step: Step; now: number }) {
  if (!step.iterations) return null;
  return (
    <>
      <h3>
        Iterations ({step.iterations.length}
        {step.iteration ? `, now ${step.iteration}` : ''})
      </h3>
      <ol className="inner-list" data-testid="step-iterations">
        {step.iterations.map((it: LoopIteration) => (
          <li key={it.iteration} data-iteration={it.iteration}>
            <details>
              <summary>
                #{it.iteration} <StatusBadge status={it.status} />
                <span className="muted"> {formatTime(it.started_at)} · {formatDuration(span(it.started_at, it.finished_at, now))}</span>
              </summary>
              {it.error && <p className="notice error">{it.error.message}</p>}
              <Json value={it.input ?? undefined} label={`iteration ${it.iteration} input`} />
              <Json value={it.output ?? undefined} label={`iteration ${it.iteration} output`} />
            </details>
          </li>
        ))}
      </ol>
    </>
  );
}

/** A running for_each step's items: how many finished, which failed (from its progress events). */
export function ItemsSummary({ progress }: { progress: ItemProgress | undefined }) {
  if (!progress || progress.total === 0) return null;
  const counts = { running: 0, completed: 0, failed: 0 };
  for (const status of progress.status.values()) counts[status as keyof typeof counts]++;
  return (
    <>
      <h3>Items</h3>
      <p data-testid="step-items">
        {counts.completed} of {progress.total} completed, {counts.running} running, {counts.failed} failed
        <span className="muted"> (attempt {progress.attempt})</span>
      </p>
      {progress.errors.size > 0 && (
        <ul className="inner-list">
          {[...progress.errors].map(([index, message]) => (
            <li key={index}>
              item {index}: {message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
