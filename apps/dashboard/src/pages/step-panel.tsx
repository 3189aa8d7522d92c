import type { BatonEvent, Run, Step } from '../api';
import { ConfirmButton, Json, StatusBadge, formatDuration, formatTime, span, type ActionResult } from '../components';
import { Link } from '../router';
import { ItemsSummary, Iterations, SkipReason, Turns } from './step-inner';
import { WaitingFor } from './run-budget';
import type { ItemProgress } from './unfold';

/** Everything about one step: input, output, error, attempts, cache, agent, timings, events. */
export function StepPanel(props: {
  step: Step;
  run: Run;
  events: BatonEvent[];
  now: number;
  /** A running for_each step's items, from its progress events. */
  items?: ItemProgress;
  onRetry: (stepKey: string) => Promise<string>;
  onResult: (result: ActionResult) => void;
  onClose: () => void;
}) {
  const { step, run, events, now } = props;
  const canRetry = step.status === 'failed' && run.status === 'failed';
  return (
    <div className="step-panel" data-step={step.id} data-status={step.status}>
      <div className="panel-head">
        <h2>
          {step.id} <StatusBadge status={step.status} />
        </h2>
        <button type="button" className="link" onClick={props.onClose} aria-label="Close the step panel">
          ×
        </button>
      </div>
      {canRetry && (
        <ConfirmButton
          label="Retry step"
          title={`Retry ${step.id}?`}
          message="Every failed and cancelled step of the run is queued again with a fresh attempt budget."
          action={() => props.onRetry(step.id)}
          onResult={props.onResult}
        />
      )}
      {step.error && (
        <div className="notice error" role="alert" data-testid="step-error">
          <strong>{step.error.code ?? 'error'}</strong>: {step.error.message}
          {step.error.retryable !== undefined && <span className="muted"> ({step.error.retryable ? 'retryable' : 'not retryable'})</span>}
        </div>
      )}
      <SkipReason step={step} />
      <WaitingFor step={step} events={events} />
      <dl className="meta">
        <dt>Type</dt>
        <dd>{step.type}</dd>
        <dt>Agent</dt>
        <dd>{step.agent ? <Link to={`/agents/${encodeURIComponent(step.agent)}`}>{step.agent}</Link> : '—'}</dd>
        {step.served_by && step.served_by !== step.agent && (
          <>
            <dt>Served by</dt>
            <dd>{step.served_by}</dd>
          </>
        )}
        <dt>Attempts</dt>
        <dd>
          {step.iterations && step.iterations.length > 0
            ? // A looping step counts attempts across its iterations; each iteration gets the full budget.
              `${step.attempt} over ${step.iterations.length} iteration${step.iterations.length === 1 ? '' : 's'} (this one may go up to attempt ${step.maxAttempts})`
            : `${step.attempt} of ${step.maxAttempts}`}
        </dd>
        {step.usage && (
          <>
            <dt>Usage</dt>
            <dd data-testid="step-usage">
              {step.usage.tokens ?? 0} tokens · cost {step.usage.cost ?? 0}
            </dd>
          </>
        )}
        <dt>Cache</dt>
        <dd>{step.cache ? (step.cache.hit ? `hit (${step.cache.hits})` : step.cache.key ? 'miss' : 'off') : 'off'}</dd>
        <dt>Queued</dt>
        <dd>{formatTime(step.queuedAt)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(step.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(step.finishedAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(span(step.startedAt, step.finishedAt, now))}</dd>
        {step.dependsOn.length > 0 && (
          <>
            <dt>Depends on</dt>
            <dd>{step.dependsOn.join(', ')}</dd>
          </>
        )}
        {step.childRunId && (
          <>
            <dt>Child run</dt>
            <dd>
              <Link to={`/runs/${step.childRunId}`}>{step.childRunId.slice(0, 8)}</Link>
            </dd>
          </>
        )}
        {step.lease && (
          <>
            <dt>Lease</dt>
            <dd>
              {step.lease.owner} until {formatTime(step.lease.expiresAt)}
            </dd>
          </>
        )}
      </dl>
      <ItemsSummary progress={step.status === 'completed' ? undefined : props.items} />
      <Turns step={step} now={now} />
      <Iterations step={step} now={now} />
      <h3>Input</h3>
      <Json value={step.input ?? undefined} label="step input" />
      <h3>Output</h3>
      <Json value={step.output ?? undefined} label="step output" />
      <h3>Events</h3>
      <ol className="events">
        {events.map((event) => (
          <li key={event.seq}>
            <span className="mono">{new Date(event.createdAt).toLocaleTimeString()}</span> <strong>{event.type}</strong>
            {event.data?.attempt !== undefined && <span className="muted"> attempt {event.data.attempt}</span>}
            {event.data?.durationMs !== undefined && <span className="muted"> · {formatDuration(event.data.durationMs)}</span>}
            {event.data?.error?.message && <div className="muted">{event.data.error.message}</div>}
          </li>
        ))}
        {events.length === 0 && <li className="muted">No events yet.</li>}
      </ol>
    </div>
  );
}
