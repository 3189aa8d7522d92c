import { useEffect, useState } from 'react';
import { ApiError, api, type Approval } from '../api';
import { ErrorNotice, Json, StatusBadge, formatDuration, formatTime, shortId, useLoad, useNow, useThrottle } from '../components';
import { openStream } from '../sse';
import { Link } from '../router';
import { JsonField, SchemaForm, fieldErrors } from './schema-form';

const APPROVAL_EVENTS = 'approval.requested,approval.decided,approval.expired,run.cancelled';

/** What waits for a person, oldest first, and what was decided lately (by whom, when). */
export function ApprovalsPage({ focusId }: { focusId?: string }) {
  const pending = useLoad(() => api<{ approvals: Approval[] }>('GET', '/api/v1/approvals?status=pending&limit=200'), []);
  const decided = useLoad(async () => {
    const lists = await Promise.all(
      ['approved', 'rejected', 'expired'].map((status) => api<{ approvals: Approval[] }>('GET', `/api/v1/approvals?status=${status}&limit=100`)),
    );
    return lists
      .flatMap((list) => list.approvals)
      .sort((a, b) => Date.parse(b.decidedAt ?? b.createdAt) - Date.parse(a.decidedAt ?? a.createdAt))
      .slice(0, 50);
  }, []);
  const focused = useLoad(() => (focusId ? api<Approval>('GET', `/api/v1/approvals/${focusId}`) : Promise.resolve(null)), [focusId]);
  const refresh = useThrottle(() => {
    pending.reload();
    decided.reload();
  }, 1000);
  const now = useNow(1000);

  useEffect(() => {
    const stream = openStream(`/api/v1/events?types=${APPROVAL_EVENTS}`, { onFrames: () => refresh() });
    return () => stream.close();
  }, [refresh]);

  const onDecided = () => {
    pending.reload();
    decided.reload();
    focused.reload();
  };
  const list = pending.value?.approvals ?? [];
  const focus = focused.value && focused.value.status !== 'pending' ? focused.value : null;

  return (
    <section>
      <h1>Approvals</h1>
      <ErrorNotice error={pending.error ?? focused.error} />
      {focus && (
        <div className="card" data-approval={focus.id}>
          <h2>{focus.prompt ?? 'Approval'}</h2>
          <p>
            <StatusBadge status={focus.status} /> by {focus.decidedBy?.name ?? '—'} at {formatTime(focus.decidedAt)}
          </p>
          <Json value={focus.decidedPayload ?? focus.payload} />
        </div>
      )}
      <h2>
        Waiting <span className="count">{list.length}</span>
      </h2>
      {pending.value && list.length === 0 && <p className="muted">Nothing waits for a decision.</p>}
      <div className="cards">
        {list.map((approval) => (
          <ApprovalCard key={approval.id} approval={approval} now={now} focused={approval.id === focusId} onDecided={onDecided} />
        ))}
      </div>
      <h2>Decided lately</h2>
      <div className="table-wrap">
        <table className="decided">
          <thead>
            <tr>
              <th>Prompt</th>
              <th>Decision</th>
              <th>By</th>
              <th>When</th>
              <th>Comment</th>
              <th>Run</th>
            </tr>
          </thead>
          <tbody>
            {(decided.value ?? []).map((approval) => (
              <tr key={approval.id} data-approval={approval.id}>
                <td>
                  <Link to={`/approvals/${approval.id}`}>{approval.prompt ?? `${approval.kind} ${approval.stepId}`}</Link>
                </td>
                <td>
                  <StatusBadge status={approval.status} />
                </td>
                <td>
                  {approval.decidedBy?.name ?? '—'}
                  {approval.decidedBy?.role && <span className="muted"> ({approval.decidedBy.role})</span>}
                </td>
                <td>{formatTime(approval.decidedAt)}</td>
                <td>{approval.comment ?? <span className="muted">—</span>}</td>
                <td>
                  <Link to={`/runs/${approval.runId}?step=${encodeURIComponent(approval.stepId)}`} className="mono">
                    {shortId(approval.runId)}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ApprovalCard({ approval, now, focused, onDecided }: { approval: Approval; now: number; focused: boolean; onDecided: () => void }) {
  const [comment, setComment] = useState('');
  const [editing, setEditing] = useState(false);
  const [payload, setPayload] = useState<unknown>(approval.payload);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const left = approval.expiresAt ? Date.parse(approval.expiresAt) - now : null;

  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    setErrors({});
    try {
      const body: Record<string, unknown> = { decision };
      if (comment.trim()) body.comment = comment.trim();
      if (decision === 'approve' && editing) body.payload = payload;
      await api('POST', `/api/v1/approvals/${approval.id}/decision`, body);
      onDecided();
    } catch (caught) {
      if (caught instanceof ApiError && caught.details.length > 0) {
        const byField = fieldErrors(caught.details);
        setErrors(byField);
        if (Object.keys(byField).length === 0) setError(caught);
        else setError(new Error('The edited payload does not match the checkpoint schema: see the fields below.'));
      } else {
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className={`card${focused ? ' focused' : ''}`} data-approval={approval.id} aria-labelledby={`approval-${approval.id}`}>
      <h3 id={`approval-${approval.id}`}>{approval.prompt ?? `Decide on ${approval.stepId}`}</h3>
      <p className="muted">
        {approval.kind} · step{' '}
        <Link to={`/runs/${approval.runId}?step=${encodeURIComponent(approval.stepId)}`}>{approval.stepId}</Link> of run{' '}
        <Link to={`/runs/${approval.runId}`} className="mono">
          {shortId(approval.runId)}
        </Link>{' '}
        · asked {formatTime(approval.createdAt)}
      </p>
      {left !== null && (
        <p className={`deadline${left < 60_000 ? ' soon' : ''}`} data-testid="deadline">
          {left > 0 ? `${formatDuration(left)} left` : 'deadline passed'} (then {approval.onTimeout ?? 'fail'})
        </p>
      )}
      <h4>Payload</h4>
      <Json value={approval.payload} label="payload" />
      {approval.allowEdit && (
        <label className="checkbox">
          <input type="checkbox" checked={editing} onChange={(e) => setEditing(e.target.checked)} /> Edit the payload before approving
        </label>
      )}
      {editing &&
        (approval.schema ? (
          <form className="schema-form" onSubmit={(e) => e.preventDefault()} aria-label="Edited payload">
            {errors[''] && (
              <p className="field-error" role="alert">
                {errors['']}
              </p>
            )}
            <SchemaForm schema={approval.schema} value={payload} onChange={setPayload} errors={errors} />
          </form>
        ) : (
          <JsonField id={`payload-${approval.id}`} label="Edited payload (JSON)" value={approval.payload} onChange={setPayload} error={errors['']} />
        ))}
      <label htmlFor={`comment-${approval.id}`}>Comment</label>
      <textarea id={`comment-${approval.id}`} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={10_000} />
      <ErrorNotice error={error} />
      <div className="actions">
        {/* A failed saga compensation: approve retries it with fresh attempts, reject gives up (the run ends partial). */}
        <button type="button" className="primary" disabled={busy} onClick={() => void decide('approve')}>
          {approval.kind === 'compensation' ? 'Retry compensation' : 'Approve'}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void decide('reject')}>
          {approval.kind === 'compensation' ? 'Give up' : 'Reject'}
        </button>
      </div>
    </article>
  );
}
