import { useState } from 'react';
import { api, query, type Delivery, type Webhook } from '../api';
import { ConfirmButton, ErrorNotice, Pager, ResultNotice, StatusBadge, formatTime, shortId, useLoad, type ActionResult } from '../components';
import { Link } from '../router';

/** Webhook subscriptions and, for one, its deliveries (pending, delivered, dead). */
export function WebhooksPage({ webhookId }: { webhookId?: string }) {
  const hooks = useLoad(() => api<{ items: Webhook[] }>('GET', '/api/v1/webhooks'), []);
  return (
    <section>
      <h1>Webhooks</h1>
      <ErrorNotice error={hooks.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>Format</th>
              <th>Active</th>
              <th>Run</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {(hooks.value?.items ?? []).map((hook) => (
              <tr key={hook.id} aria-current={hook.id === webhookId ? 'true' : undefined}>
                <td className="wrap">
                  <Link to={`/webhooks/${hook.id}`}>{hook.url}</Link>
                  {hook.builtin && <span className="muted"> (built-in)</span>}
                </td>
                <td>{hook.events.length ? hook.events.join(', ') : 'all'}</td>
                <td>{hook.format}</td>
                <td>{hook.active ? 'yes' : 'no'}</td>
                <td>{hook.runId ? <Link to={`/runs/${hook.runId}`}>{shortId(hook.runId)}</Link> : 'every run'}</td>
                <td>{formatTime(hook.createdAt)}</td>
              </tr>
            ))}
            {hooks.value && hooks.value.items.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No webhook subscriptions.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {webhookId && <Deliveries key={webhookId} webhookId={webhookId} />}
    </section>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const [status, setStatus] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [result, setResult] = useState<ActionResult | null>(null);
  const cursor = cursors[cursors.length - 1] ?? '';
  const deliveries = useLoad(
    () => api<{ items: Delivery[]; nextCursor: string | null }>('GET', `/api/v1/webhooks/${webhookId}/deliveries${query({ status, cursor, limit: 50 })}`),
    [webhookId, status, cursor],
  );
  return (
    <>
      <h2>Deliveries</h2>
      <div className="toolbar">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setCursors([]);
              setStatus(e.target.value);
            }}
          >
            <option value="">all</option>
            <option>pending</option>
            <option>delivered</option>
            <option value="dead">dead</option>
          </select>
        </label>
        <button type="button" onClick={deliveries.reload}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={deliveries.error} />
      <ResultNotice result={result} onDismiss={() => setResult(null)} />
      <div className="table-wrap">
        <table className="deliveries">
          <thead>
            <tr>
              <th>Event</th>
              <th>Run</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Next attempt</th>
              <th>Created</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(deliveries.value?.items ?? []).map((delivery) => (
              <tr key={delivery.id} data-delivery={delivery.id}>
                <td>
                  {delivery.eventType} <span className="muted">#{delivery.seq}</span>
                </td>
                <td>
                  <Link to={`/runs/${delivery.runId}`} className="mono">
                    {shortId(delivery.runId)}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={delivery.status} />
                </td>
                <td>{delivery.attempts}</td>
                <td className="wrap">{delivery.lastStatusCode ?? delivery.lastError ?? '—'}</td>
                <td>{formatTime(delivery.nextAttemptAt)}</td>
                <td>{formatTime(delivery.createdAt)}</td>
                <td>
                  {delivery.status === 'dead' && (
                    <ConfirmButton
                      label="Redeliver"
                      title="Send this delivery again?"
                      message={`${delivery.eventType} #${delivery.seq} goes back in the outbox, due now, with a fresh attempt budget.`}
                      action={async () => {
                        await api('POST', `/api/v1/webhooks/${webhookId}/deliveries/${delivery.id}/redeliver`);
                        deliveries.reload();
                        return `Delivery of ${delivery.eventType} #${delivery.seq} queued again.`;
                      }}
                      onResult={setResult}
                    />
                  )}
                </td>
              </tr>
            ))}
            {deliveries.value && deliveries.value.items.length === 0 && (
              <tr>
                <td colSpan={8} className="muted">
                  No deliveries{status ? ` ${status}` : ''}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager
        hasPrevious={cursors.length > 0}
        hasNext={Boolean(deliveries.value?.nextCursor)}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => deliveries.value?.nextCursor && setCursors([...cursors, deliveries.value.nextCursor])}
      />
    </>
  );
}
