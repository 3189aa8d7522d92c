import { api, type Agent } from '../api';
import { ErrorNotice, Json, useLoad } from '../components';
import { Link } from '../router';

/** Where step work goes: built-in and registered agents, with their limits. */
export function AgentsPage({ focusName }: { focusName?: string }) {
  const agents = useLoad(() => api<{ items: Agent[] }>('GET', '/api/v1/agents'), []);
  const focus = agents.value?.items.find((agent) => agent.name === focusName);
  return (
    <section>
      <h1>Agents</h1>
      <ErrorNotice error={agents.error} />
      {focusName && !focus && agents.value && <p className="notice error">No agent named {focusName}.</p>}
      {focus && (
        <div className="card" data-agent={focus.name}>
          <h2>{focus.name}</h2>
          <Json value={focus} label={`agent ${focus.name}`} />
        </div>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>URL</th>
              <th>Capabilities</th>
              <th>Slots</th>
              <th>Timeout</th>
            </tr>
          </thead>
          <tbody>
            {(agents.value?.items ?? []).map((agent) => (
              <tr key={agent.name}>
                <td>
                  <Link to={`/agents/${encodeURIComponent(agent.name)}`}>{agent.name}</Link>
                </td>
                <td>{agent.kind}</td>
                <td className="mono wrap">{agent.url ?? '—'}</td>
                <td>{agent.capabilities?.join(', ') || '—'}</td>
                <td>{agent.maxConcurrency ?? 'unlimited'}</td>
                <td>{agent.timeoutSeconds ? `${agent.timeoutSeconds} s` : 'default'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
