import { useEffect, useState, type FormEvent } from 'react';
import { api, query, type Run } from '../api';
import { ErrorNotice, Pager, Progress, StatusBadge, formatDuration, formatTime, shortId, span, useLoad, useNow, useThrottle } from '../components';
import { openStream } from '../sse';
import { Link, navigate, setQuery, useRoute } from '../router';

const STATUSES = ['pending', 'running', 'waiting', 'paused', 'completed', 'failed', 'cancelled'];
const SINCE: Array<[string, string, number]> = [
  ['', 'any time', 0],
  ['1h', 'last hour', 3_600_000],
  ['24h', 'last 24 hours', 86_400_000],
  ['7d', 'last 7 days', 7 * 86_400_000],
];
const RUN_EVENTS = 'run.created,run.started,run.waiting,run.paused,run.resumed,run.completed,run.failed,run.cancelled,run.retried,step.completed';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every run, newest first: filters and the cursor live in the URL; updates live from /api/v1/events. */
export function RunsPage() {
  const { query: params } = useRoute();
  const status = params.get('status') ?? '';
  const definition = params.get('definition') ?? '';
  const since = params.get('since') ?? '';
  const cursor = params.get('cursor') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const [search, setSearch] = useState('');
  const [searchError, setSearchError] = useState<string | null>(null);
  const now = useNow(1000);

  const sinceMs = SINCE.find(([key]) => key === since)?.[2] ?? 0;
  const runs = useLoad(() => {
    // The window is measured from each load, so a live refresh keeps it current.
    const createdAfter = sinceMs ? new Date(Date.now() - sinceMs).toISOString() : undefined;
    return api<{ runs: Run[]; nextCursor: string | null }>('GET', `/api/v1/runs${query({ status, definition, createdAfter, cursor, limit: 50 })}`);
  }, [status, definition, sinceMs, cursor]);
  const refresh = useThrottle(runs.reload, 1000);

  useEffect(() => {
    // Live: the all-runs stream from now on (the page was just loaded: no history to replay).
    // Only the first page changes as runs start and finish.
    if (cursor) return;
    const stream = openStream(`/api/v1/events?after=now&types=${RUN_EVENTS}`, { onFrames: () => refresh() });
    return () => stream.close();
  }, [cursor, refresh]);

  const shown = runs.value?.runs ?? [];

  const onSearch = async (event: FormEvent) => {
    event.preventDefault();
    const id = search.trim();
    if (!UUID.test(id)) return setSearchError('A run id is a UUID, like 5665735c-e6bf-4328-b5b0-29baac8fa03b.');
    setSearchError(null);
    try {
      await api('GET', `/api/v1/runs/${id}`);
      navigate(`/runs/${id}`);
    } catch (error) {
      setSearchError(error instanceof Error ? error.message : String(error));
    }
  };

  return (
    <section>
      <h1>Runs</h1>
      <div className="toolbar">
        <label>
          Status
          <select value={status} onChange={(e) => setQuery({ status: e.target.value, cursor: null })}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Definition
          <input
            type="search"
            placeholder="name"
            defaultValue={definition}
            onKeyDown={(e) => e.key === 'Enter' && setQuery({ definition: e.currentTarget.value.trim(), cursor: null })}
            onBlur={(e) => e.currentTarget.value.trim() !== definition && setQuery({ definition: e.currentTarget.value.trim(), cursor: null })}
          />
        </label>
        <label>
          Started
          <select value={since} onChange={(e) => setQuery({ since: e.target.value, cursor: null })}>
            {SINCE.map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <form className="search" onSubmit={onSearch} role="search">
          <label>
            Run id
            <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="go to a run by id" />
          </label>
          <button type="submit">Go</button>
        </form>
      </div>
      {searchError && <p className="notice error" role="alert">{searchError}</p>}
      <ErrorNotice error={runs.error} />
      <div className="table-wrap">
        <table className="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Status</th>
              <th>Definition</th>
              <th>Owner</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Progress</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((run) => (
              <tr key={run.id} data-run={run.id}>
                <td>
                  <Link to={`/runs/${run.id}`} className="mono" title={run.id}>
                    {shortId(run.id)}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>
                  {run.definition.name}
                  <span className="muted"> @{run.definition.version}</span>
                </td>
                <td>{run.owner || <span className="muted">—</span>}</td>
                <td>{formatTime(run.startedAt ?? run.createdAt)}</td>
                <td>{formatDuration(span(run.startedAt, run.finishedAt, now))}</td>
                <td>
                  <Progress {...run.progress} />
                </td>
              </tr>
            ))}
            {runs.value && shown.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No runs match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager
        hasPrevious={cursor !== ''}
        hasNext={Boolean(runs.value?.nextCursor)}
        onPrevious={() => {
          const previous = cursors.slice(0, -1);
          setCursors(previous);
          setQuery({ cursor: previous[previous.length - 1] ?? null }, false);
        }}
        onNext={() => {
          const next = runs.value?.nextCursor;
          if (!next) return;
          setCursors([...cursors, next]);
          setQuery({ cursor: next }, false);
        }}
      />
    </section>
  );
}
