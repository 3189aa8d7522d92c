import { useState } from 'react';
import { api, query, type Definition } from '../api';
import { ErrorNotice, Pager, formatTime, useLoad } from '../components';
import { Link } from '../router';

/** The latest version of every saved definition. */
export function DefinitionsPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1] ?? '';
  const list = useLoad(() => api<{ items: Definition[]; nextCursor: string | null }>('GET', `/api/v1/definitions${query({ cursor, limit: 50 })}`), [cursor]);
  return (
    <section>
      <h1>Definitions</h1>
      <ErrorNotice error={list.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest version</th>
              <th>Owner</th>
              <th>Steps</th>
              <th>Description</th>
              <th>Stored</th>
            </tr>
          </thead>
          <tbody>
            {(list.value?.items ?? []).map((definition) => (
              <tr key={definition.id}>
                <td>
                  <Link to={`/definitions/${encodeURIComponent(definition.name)}${query({ owner: definition.owner })}`}>{definition.name}</Link>
                </td>
                <td>{definition.version}</td>
                <td>{definition.owner || '—'}</td>
                <td>{definition.stepCount}</td>
                <td>{definition.description ?? definition.definition.description ?? ''}</td>
                <td>{formatTime(definition.createdAt)}</td>
              </tr>
            ))}
            {list.value && list.value.items.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No saved definitions.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager
        hasPrevious={cursors.length > 0}
        hasNext={Boolean(list.value?.nextCursor)}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => list.value?.nextCursor && setCursors([...cursors, list.value.nextCursor])}
      />
    </section>
  );
}
