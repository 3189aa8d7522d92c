import { useState } from 'react';
import { api } from '../api';
import { ConfirmButton, ErrorNotice, ResultNotice, formatTime, useLoad, type ActionResult } from '../components';
import { Link } from '../router';

interface SystemView {
  mode: string;
  reason: string | null;
  stored: { mode: string; reason: string | null; setBy: string | null; changedAt: string } | null;
  automatic: { mode: string; reason: string; since: string } | null;
  heartbeat: { enabled: boolean; lastHeartbeatAt: string | null; by: string | null; safeAt: string | null; drainAt: string | null } | null;
  events: Array<{ id: string; type: string; data: Record<string, unknown>; createdAt: string }>;
}

interface Finding {
  kind: string;
  runId: string | null;
  stepKey: string | null;
  scheduleId?: string;
  explanation: string;
  remedy: string;
}

/**
 * The hub itself (issue 16): its mode and why, the heartbeat, the doctor's findings, and the
 * operator's controls: send a heartbeat, repair stuck work, drain and stop (the dashboard's
 * `baton drain`). Each control is the same API call the CLI makes.
 */
export function SystemPage() {
  const system = useLoad(() => api<SystemView>('GET', '/api/v1/system'), []);
  const doctor = useLoad(() => api<{ checkedAt: string; findings: Finding[] }>('GET', '/api/v1/doctor'), []);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [reason, setReason] = useState('');
  const done = (next: ActionResult) => {
    setResult(next);
    system.reload();
    doctor.reload();
  };
  const view = system.value;
  return (
    <section className="system-page" data-mode={view?.mode}>
      <h1>System</h1>
      <ErrorNotice error={system.error} />
      <ResultNotice result={result} onDismiss={() => setResult(null)} />
      {view && (
        <div className="card">
          <h2>
            Mode: <span data-testid="system-mode">{view.mode}</span>
          </h2>
          {view.reason && <p>{view.reason}</p>}
          {view.stored && (
            <p className="muted">
              Set to {view.stored.mode} by {view.stored.setBy ?? 'nobody'} at {formatTime(view.stored.changedAt)}
            </p>
          )}
          {view.automatic && <p className="notice error">This instance is degraded by itself since {formatTime(view.automatic.since)}: {view.automatic.reason}</p>}
          {view.heartbeat?.enabled ? (
            <p>
              Last heartbeat {formatTime(view.heartbeat.lastHeartbeatAt)} by {view.heartbeat.by ?? '—'}; safe mode at {formatTime(view.heartbeat.safeAt)}, drain at{' '}
              {formatTime(view.heartbeat.drainAt)} without another.
            </p>
          ) : (
            <p className="muted">The heartbeat (dead-man switch) is off.</p>
          )}
          <div className="actions">
            <button
              type="button"
              onClick={() =>
                api('POST', '/api/v1/system/heartbeat').then(
                  () => done({ ok: true, message: 'Heartbeat recorded.' }),
                  (error: Error) => done({ ok: false, message: error.message }),
                )
              }
            >
              Send heartbeat
            </button>
          </div>
        </div>
      )}
      <div className="card">
        <h2>Drain and stop</h2>
        <p>
          Stops new runs and dispatch on every instance, waits for running steps, records where each run stopped, then stops the servers. <code>npm start</code> resumes
          everything.
        </p>
        <label htmlFor="drain-reason">Reason</label>
        <input id="drain-reason" value={reason} onChange={(event) => setReason(event.target.value)} placeholder="e.g. reboot for a kernel update" />
        <div className="actions">
          <ConfirmButton
            label="Drain and stop"
            title="Drain and stop Baton"
            message="Every instance stops taking work and stops once its running steps are done. It answers no requests until it is started again."
            danger
            disabled={reason.trim() === ''}
            action={async () => {
              await api('POST', '/api/v1/system/drain', { reason: reason.trim() });
              return 'Draining: the servers stop once their running steps are done.';
            }}
            onResult={done}
          />
        </div>
      </div>
      <div className="card">
        <h2>Doctor</h2>
        <ErrorNotice error={doctor.error} />
        {doctor.value && doctor.value.findings.length === 0 && <p className="muted">No stuck work ({formatTime(doctor.value.checkedAt)}).</p>}
        {doctor.value && doctor.value.findings.length > 0 && (
          <>
            <ul className="findings">
              {doctor.value.findings.map((finding, i) => (
                <li key={i} data-kind={finding.kind}>
                  <strong>{finding.kind}</strong>{' '}
                  {finding.runId ? <Link to={`/runs/${finding.runId}`}>run {finding.runId.slice(0, 8)}</Link> : `schedule ${finding.scheduleId ?? ''}`}
                  {finding.stepKey ? ` step ${finding.stepKey}` : ''}: {finding.explanation}. <span className="muted">Remedy: {finding.remedy}.</span>
                </li>
              ))}
            </ul>
            <ConfirmButton
              label="Repair"
              title="Repair stuck work"
              message="Applies each finding's remedy; an item that moved on meanwhile is left alone."
              action={async () => {
                const report = await api<{ repairs: Array<{ outcome: string }> }>('POST', '/api/v1/doctor/fix');
                return `${report.repairs.filter((r) => r.outcome === 'fixed').length} of ${report.repairs.length} repaired.`;
              }}
              onResult={done}
            />
          </>
        )}
      </div>
      {view && (
        <div className="card">
          <h2>Recent system events</h2>
          <ul className="events">
            {view.events.map((event) => (
              <li key={event.id}>
                {formatTime(event.createdAt)} <strong>{event.type}</strong> <span className="muted">{JSON.stringify(event.data)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
