import { useEffect, useState } from 'react';
import { api } from '../api';
import { SYSTEM_MODES, type DoctorReport, type SystemMode, type SystemState } from '../api-ops';
import { ConfirmButton, ErrorNotice, ResultNotice, StatusBadge, formatTime, useLoad, type ActionResult } from '../components';
import { Link } from '../router';

const MODE_MEANING: Record<SystemMode, string> = {
  normal: 'everything runs',
  safe: 'no new runs and no new dispatch; steps already running finish',
  degraded: 'read-only: as safe, and every write but approvals and the system routes answers 503',
  draining: 'as safe, then every instance stops once its running steps are done',
};

/**
 * The hub's safety controls: its mode (and why), the operator's heartbeat, the drain, the
 * doctor's findings and the latest system events. Every action goes through the API with
 * the signed-in token: a role that may not do it gets the API's 403, shown as the result.
 */
export function SystemPage() {
  const state = useLoad(() => api<SystemState>('GET', '/api/v1/system'), []);
  const doctor = useLoad(() => api<DoctorReport>('GET', '/api/v1/system/doctor'), []);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [mode, setMode] = useState<SystemMode>('safe');
  const [reason, setReason] = useState('');
  const [drainReason, setDrainReason] = useState('');
  const [repairs, setRepairs] = useState<DoctorReport['repairs']>(undefined);
  const reload = state.reload;
  // The mode also changes without us (the dead-man switch, an outage, another operator).
  useEffect(() => {
    const timer = setInterval(reload, 5000);
    return () => clearInterval(timer);
  }, [reload]);

  const view = state.value;
  const post = async (path: string, body?: unknown) => {
    const answer = await api<SystemState>('POST', `/api/v1/system/${path}`, body);
    state.reload();
    return answer;
  };
  return (
    <section className="system-page" data-mode={view?.mode}>
      <h1>System</h1>
      <ErrorNotice error={state.error} />
      <ResultNotice result={result} onDismiss={() => setResult(null)} />
      {view && (
        <div className="card" data-testid="system-mode">
          <h2>
            Mode <StatusBadge status={view.mode} />
          </h2>
          <p>{MODE_MEANING[view.mode]}.</p>
          <dl className="meta">
            <dt>Reason</dt>
            <dd>{view.reason ?? '—'}</dd>
            <dt>Stored mode</dt>
            <dd>
              {view.stored ? `${view.stored.mode}, set by ${view.stored.setBy ?? 'unknown'} at ${formatTime(view.stored.changedAt)}` : 'normal (never set)'}
            </dd>
            <dt>This instance</dt>
            <dd>{view.automatic ? `degraded since ${formatTime(view.automatic.since)}: ${view.automatic.reason}` : 'no finding of its own'}</dd>
          </dl>
        </div>
      )}
      <div className="columns">
        <form className="card" aria-labelledby="set-mode" onSubmit={(event) => event.preventDefault()}>
          <h2 id="set-mode">Change the mode</h2>
          <label htmlFor="mode">New mode</label>
          <select id="mode" value={mode} onChange={(e) => setMode(e.target.value as SystemMode)}>
            {SYSTEM_MODES.filter((m) => m !== 'draining').map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <label htmlFor="mode-reason">Reason for the mode</label>
          <input id="mode-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} placeholder="kept with the mode" />
          <ConfirmButton
            label="Set mode"
            title={`Switch every instance to ${mode}?`}
            message={`${mode}: ${MODE_MEANING[mode]}. Needs the operator or admin role.`}
            disabled={reason.trim() === ''}
            action={async () => {
              const answer = await post('mode', { mode, reason: reason.trim() });
              return `Mode set: the hub is ${answer.mode}.`;
            }}
            onResult={setResult}
          />
        </form>
        <div className="card" aria-labelledby="heartbeat">
          <h2 id="heartbeat">Heartbeat</h2>
          {view?.heartbeat ? (
            <dl className="meta" data-testid="heartbeat">
              <dt>Dead-man switch</dt>
              <dd>{view.heartbeat.enabled ? `every ${view.heartbeat.intervalHours} h` : 'off'}</dd>
              <dt>Last heartbeat</dt>
              <dd>
                {formatTime(view.heartbeat.lastHeartbeatAt)}
                {view.heartbeat.by ? ` by ${view.heartbeat.by}` : ''}
              </dd>
              {view.heartbeat.enabled && (
                <>
                  <dt>Safe mode at</dt>
                  <dd>{formatTime(view.heartbeat.safeAt)}</dd>
                  <dt>Drain at</dt>
                  <dd>{formatTime(view.heartbeat.drainAt)}</dd>
                </>
              )}
            </dl>
          ) : (
            <p className="muted">Unknown (the database is unreachable).</p>
          )}
          <ConfirmButton
            label="I am here"
            title="Record a heartbeat?"
            message="Resets the dead-man switch and lifts a safe mode it set."
            action={async () => {
              await post('heartbeat');
              return 'Heartbeat recorded.';
            }}
            onResult={setResult}
          />
        </div>
        <form className="card" aria-labelledby="drain" onSubmit={(event) => event.preventDefault()}>
          <h2 id="drain">Drain</h2>
          <p>Every instance stops admitting and dispatching, waits for its running steps, records where each open run stopped and exits. The next start resumes them.</p>
          <label htmlFor="drain-reason">Reason for the drain</label>
          <input id="drain-reason" value={drainReason} maxLength={500} onChange={(e) => setDrainReason(e.target.value)} placeholder="why the hub stops" />
          <ConfirmButton
            label="Drain the hub"
            title="Drain and stop every instance?"
            message="Open runs stop where they are until Baton is started again. Needs the operator, admin or backup role."
            danger
            disabled={drainReason.trim() === '' || view?.mode === 'draining'}
            action={async () => {
              await post('drain', { reason: drainReason.trim() });
              return 'Draining: the instances stop once their running steps are done.';
            }}
            onResult={setResult}
          />
        </form>
      </div>
      <Doctor report={doctor.value} error={doctor.error} repairs={repairs} onReload={doctor.reload} onFix={async () => {
        const report = await api<DoctorReport>('POST', '/api/v1/system/doctor/fix');
        setRepairs(report.repairs ?? []);
        doctor.reload();
        return `Doctor: ${report.repairs?.length ?? 0} repaired.`;
      }} onResult={setResult} />
      <h2>System events</h2>
      <ol className="events" data-testid="system-events">
        {(view?.events ?? []).map((event) => (
          <li key={event.id}>
            <span className="mono">{formatTime(event.createdAt)}</span> <strong>{event.type}</strong>{' '}
            <span className="muted">{summarize(event.data)}</span>
          </li>
        ))}
        {view && view.events.length === 0 && <li className="muted">No system events yet.</li>}
      </ol>
    </section>
  );
}

function Doctor(props: {
  report: DoctorReport | undefined;
  error: unknown;
  repairs: DoctorReport['repairs'];
  onReload: () => void;
  onFix: () => Promise<string>;
  onResult: (result: ActionResult) => void;
}) {
  const findings = props.report?.findings ?? [];
  return (
    <>
      <h2>Doctor</h2>
      <div className="toolbar">
        <span className="muted">{props.report ? `checked ${formatTime(props.report.checkedAt)}` : ''}</span>
        <button type="button" onClick={props.onReload}>
          Check again
        </button>
        <ConfirmButton
          label="Repair"
          title="Repair what the doctor found?"
          message="Each stuck step is moved on (re-queued, recovered or failed) as its remedy says. Needs the admin role."
          disabled={findings.length === 0}
          action={props.onFix}
          onResult={props.onResult}
        />
      </div>
      <ErrorNotice error={props.error} />
      <ul className="findings" data-testid="doctor-findings">
        {findings.map((finding, index) => (
          <li key={`${finding.kind}-${finding.stepId ?? finding.runId ?? index}`}>
            <strong>{finding.kind}</strong>
            {finding.runId && (
              <>
                {' '}
                <Link to={`/runs/${finding.runId}${finding.stepKey ? `?step=${encodeURIComponent(finding.stepKey)}` : ''}`}>
                  {finding.runId.slice(0, 8)}
                  {finding.stepKey ? ` / ${finding.stepKey}` : ''}
                </Link>
              </>
            )}
            : {finding.explanation} <span className="muted">Remedy: {finding.remedy}</span>
          </li>
        ))}
        {props.report && findings.length === 0 && <li className="muted">Nothing stuck.</li>}
      </ul>
      {props.repairs && props.repairs.length > 0 && (
        <ul className="findings">
          {props.repairs.map((repair, index) => (
            <li key={index}>
              {repair.kind} {repair.stepKey ?? repair.runId}: {repair.outcome}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function summarize(data: Record<string, unknown> | null): string {
  if (!data) return '';
  const text = Object.entries(data)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== 'object')
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
