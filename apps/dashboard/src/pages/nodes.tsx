import { useState } from 'react';
import { api } from '../api';
import type { WorkerNode } from '../api-ops';
import { ConfirmButton, ErrorNotice, Json, ResultNotice, StatusBadge, formatTime, useLoad, type ActionResult } from '../components';
import { Link } from '../router';

/**
 * Worker nodes: what each offers, how busy it is, when it was last heard from and whether it
 * took its configuration; one node's full record. Draining and removing need the admin role
 * (the API answers 403 otherwise, shown as the result).
 */
export function NodesPage({ focusId }: { focusId?: string }) {
  const nodes = useLoad(() => api<{ nodes: WorkerNode[] }>('GET', '/api/v1/nodes'), []);
  const [result, setResult] = useState<ActionResult | null>(null);
  const focus = nodes.value?.nodes.find((node) => node.id === focusId);
  const act = (node: WorkerNode, method: string, path: string, done: string) => async () => {
    await api(method, `/api/v1/nodes/${node.id}${path}`);
    nodes.reload();
    return done;
  };
  return (
    <section>
      <h1>Worker nodes</h1>
      <ErrorNotice error={nodes.error} />
      <ResultNotice result={result} onDismiss={() => setResult(null)} />
      {focusId && !focus && nodes.value && <p className="notice error">No node with id {focusId}.</p>}
      {focus && (
        <div className="card" data-node={focus.id}>
          <h2>
            {focus.name} <StatusBadge status={focus.status} />
          </h2>
          <dl className="meta">
            <dt>Configuration</dt>
            <dd>
              version {focus.configVersion}
              {focus.configAck.version !== null ? `, acknowledged ${focus.configAck.version} (${focus.configAck.status ?? '—'}) at ${formatTime(focus.configAck.at)}` : ', not acknowledged yet'}
              {focus.configAck.error ? `: ${focus.configAck.error}` : ''}
            </dd>
          </dl>
          <Json value={focus} label={`node ${focus.name}`} />
        </div>
      )}
      <div className="table-wrap">
        <table data-testid="nodes">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Capabilities</th>
              <th>Labels</th>
              <th>Jobs</th>
              <th>Last heartbeat</th>
              <th>Config</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(nodes.value?.nodes ?? []).map((node) => (
              <tr key={node.id} data-node={node.id} aria-current={node.id === focusId ? 'true' : undefined}>
                <td>
                  <Link to={`/nodes/${node.id}`}>{node.name}</Link>
                </td>
                <td>
                  <StatusBadge status={node.status} />
                </td>
                <td>{node.capabilities.join(', ') || '—'}</td>
                <td>
                  {Object.entries(node.labels)
                    .map(([key, value]) => `${key}=${value}`)
                    .join(', ') || '—'}
                </td>
                <td title="jobs in flight of the node's maximum">
                  {node.inFlight}/{node.maxJobs}
                </td>
                <td>{formatTime(node.lastHeartbeatAt)}</td>
                <td>
                  v{node.configVersion}
                  {node.configAck.version === node.configVersion ? ` ${node.configAck.status ?? ''}` : ' pending'}
                </td>
                <td className="actions">
                  {node.status === 'active' && (
                    <ConfirmButton
                      label="Drain"
                      title={`Drain ${node.name}?`}
                      message="It takes no new job and finishes the ones it holds. Needs the admin role."
                      action={act(node, 'POST', '/drain', `${node.name} is draining.`)}
                      onResult={setResult}
                    />
                  )}
                  {node.status !== 'removed' && (
                    <ConfirmButton
                      label="Remove"
                      title={`Remove ${node.name}?`}
                      message="Its token stops working; jobs it holds go back to the queue when their lease runs out. Needs the admin role."
                      danger
                      action={act(node, 'DELETE', '', `${node.name} removed.`)}
                      onResult={setResult}
                    />
                  )}
                </td>
              </tr>
            ))}
            {nodes.value && nodes.value.nodes.length === 0 && (
              <tr>
                <td colSpan={8} className="muted">
                  No worker node has registered (see docs/nodes.md).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
