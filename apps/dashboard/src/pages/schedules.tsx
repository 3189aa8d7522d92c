import { useState } from 'react';
import { api } from '../api';
import type { Schedule, ScheduleFire } from '../api-ops';
import { ConfirmButton, ErrorNotice, Json, ResultNotice, StatusBadge, formatTime, shortId, useLoad, type ActionResult } from '../components';
import { Link } from '../router';

/** What starts runs on its own: every schedule, and one with its next fires and history. */
export function SchedulesPage({ focusId }: { focusId?: string }) {
  const schedules = useLoad(() => api<{ schedules: Schedule[] }>('GET', '/api/v1/schedules'), []);
  return (
    <section>
      <h1>Schedules</h1>
      <ErrorNotice error={schedules.error} />
      <div className="table-wrap">
        <table data-testid="schedules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Starts</th>
              <th>When</th>
              <th>Next fire</th>
              <th>Overlap</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {(schedules.value?.schedules ?? []).map((schedule) => (
              <tr key={schedule.id} data-schedule={schedule.name} aria-current={schedule.id === focusId ? 'true' : undefined}>
                <td>
                  <Link to={`/schedules/${schedule.id}`}>{schedule.name}</Link>
                </td>
                <td>{target(schedule)}</td>
                <td className="mono">{timing(schedule)}</td>
                <td>{formatTime(schedule.next_fire_at)}</td>
                <td>{schedule.overlap}</td>
                <td>{schedule.paused ? <StatusBadge status="paused" /> : <StatusBadge status="active" />}</td>
              </tr>
            ))}
            {schedules.value && schedules.value.schedules.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No schedules (see docs/schedules.md).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {focusId && <ScheduleDetail key={focusId} id={focusId} onChange={schedules.reload} />}
    </section>
  );
}

/**
 * One schedule: its settings, next five fire times, its fires, and the operator's actions
 * (pause, unpause, trigger now, skip the next fire), which need the operator or admin role.
 */
function ScheduleDetail({ id, onChange }: { id: string; onChange: () => void }) {
  const schedule = useLoad(() => api<Schedule>('GET', `/api/v1/schedules/${id}`), [id]);
  const history = useLoad(() => api<{ fires: ScheduleFire[] }>('GET', `/api/v1/schedules/${id}/history?limit=50`), [id]);
  const [result, setResult] = useState<ActionResult | null>(null);
  const s = schedule.value;
  const act = (path: string, done: (answer: any) => string) => async () => {
    const answer = await api('POST', `/api/v1/schedules/${id}/${path}`, {});
    schedule.reload();
    history.reload();
    onChange();
    return done(answer);
  };
  if (!s) return <ErrorNotice error={schedule.error} />;
  return (
    <div className="card" data-testid="schedule" data-schedule={s.name}>
      <h2>
        {s.name} {s.paused && <StatusBadge status="paused" />}
      </h2>
      <ResultNotice result={result} onDismiss={() => setResult(null)} />
      <div className="actions" aria-label="Schedule actions">
        {s.paused ? (
          <ConfirmButton label="Unpause" title={`Unpause ${s.name}?`} message="It fires next at its next fire time after now; fires missed while paused are not caught up." action={act('unpause', () => `${s.name} unpaused.`)} onResult={setResult} />
        ) : (
          <ConfirmButton label="Pause" title={`Pause ${s.name}?`} message="It stops firing until unpaused." action={act('pause', () => `${s.name} paused.`)} onResult={setResult} />
        )}
        <ConfirmButton
          label="Trigger now"
          title={`Fire ${s.name} now?`}
          message={`A fire now, through its overlap policy (${s.overlap}).`}
          action={act('trigger', (fire: ScheduleFire) => `Fired: ${fire.status}${fire.reason ? ` (${fire.reason})` : ''}.`)}
          onResult={setResult}
        />
        <ConfirmButton
          label="Skip next"
          title={`Skip the next fire of ${s.name}?`}
          message={`The fire at ${formatTime(s.next_fire_at)} is recorded as skipped.`}
          disabled={!s.next_fire_at}
          action={act('skip-next', () => 'Next fire skipped.')}
          onResult={setResult}
        />
      </div>
      <dl className="meta">
        <dt>Starts</dt>
        <dd>{target(s)}</dd>
        <dt>When</dt>
        <dd className="mono">{timing(s)}</dd>
        <dt>Next fires</dt>
        <dd>
          <ol className="inner-list" data-testid="next-fires">
            {(s.next_fire_times ?? []).map((time) => (
              <li key={time}>{formatTime(time)}</li>
            ))}
            {s.next_fire_times?.length === 0 && <li className="muted">none left</li>}
          </ol>
        </dd>
        <dt>Overlap, catch-up</dt>
        <dd>
          {s.overlap}, {s.catchup_window_seconds} s{s.pause_on_failure ? ', pauses on failure' : ''}
        </dd>
        {s.pause_note && (
          <>
            <dt>Pause note</dt>
            <dd>{s.pause_note}</dd>
          </>
        )}
        {s.note && (
          <>
            <dt>Note</dt>
            <dd>{s.note}</dd>
          </>
        )}
      </dl>
      <h3>Input</h3>
      <Json value={s.input} label="schedule input" />
      <h3>Fires</h3>
      <ErrorNotice error={history.error} />
      <div className="table-wrap">
        <table data-testid="fires">
          <thead>
            <tr>
              <th>Fire time</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Reason</th>
              <th>Run</th>
            </tr>
          </thead>
          <tbody>
            {(history.value?.fires ?? []).map((fire) => (
              <tr key={fire.id} data-fire={fire.kind}>
                <td>{formatTime(fire.fire_time)}</td>
                <td>{fire.kind}</td>
                <td>
                  <StatusBadge status={fire.status} />
                </td>
                <td>{fire.reason ?? '—'}</td>
                <td>
                  {fire.run_id ? (
                    <>
                      <Link to={`/runs/${fire.run_id}`} className="mono">
                        {shortId(fire.run_id)}
                      </Link>{' '}
                      {fire.run_status && <StatusBadge status={fire.run_status} />}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
            {history.value && history.value.fires.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No fires yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function target(schedule: Schedule): string {
  if (schedule.plan) return `plan ${schedule.plan.name ?? '(inline)'}`;
  const d = schedule.definition;
  if (!d) return '—';
  if (typeof d === 'string') return d;
  return `${d.name}${d.version ? ` @${d.version}` : ''}`;
}

function timing(schedule: Schedule): string {
  if (schedule.cron) return `${schedule.cron} (${schedule.timezone})`;
  if (schedule.interval) return `every ${schedule.interval} s`;
  if (schedule.at) return `once at ${schedule.at}`;
  return '—';
}
