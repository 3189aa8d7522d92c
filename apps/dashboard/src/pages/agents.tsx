import { useEffect } from 'react';
import { api, type Agent } from '../api';
import type { AgentHealth } from '../api-ops';
import { ErrorNotice, Json, StatusBadge, formatTime, shortId, useLoad } from '../components';
import { Link } from '../router';

/**
 * Where step work goes: built-in and registered agents, with their limits and health (calls
 * in flight, slots used and free, failures in the last hour, circuit breaker), refreshed
 * every 5 seconds.
 */
export function AgentsPage({ focusName }: { focusName?: string }) {
  const agents = useLoad(() => api<{ items: Agent[] }>('GET', '/api/v1/agents'), []);
  const names = (agents.value?.items ?? []).map((agent) => agent.name);
  const health = useLoad(
    async () => new Map(await Promise.all(names.map(async (name) => [name, await api<AgentHealth>('GET', `/api/v1/agents/${encodeURIComponent(name)}/health`)] as const))),
    [names.join('\u0000')],
  );
  const reloadHealth = health.reload;
  useEffect(() => {
    const timer = setInterval(reloadHealth, 5000);
    return () => clearInterval(timer);
  }, [reloadHealth]);
  const focus = agents.value?.items.find((agent) => agent.name === focusName);
  const focusHealth = focus ? health.value?.get(focus.name) : undefined;
  return (
    <section>
      <h1>Agents</h1>
      <ErrorNotice error={agents.error ?? health.error} />
      {focusName && !focus && agents.value && <p className="notice error">No agent named {focusName}.</p>}
      {focus && (
        <div className="card" data-agent={focus.name}>
          <h2>{focus.name}</h2>
          {focusHealth && <Failures health={focusHealth} />}
          <Json value={focus} label={`agent ${focus.name}`} />
        </div>
      )}
      <div className="table-wrap">
        <table data-testid="agents">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>URL</th>
              <th>Capabilities</th>
              <th>In flight</th>
              <th>Slots used / free</th>
              <th>Failures (1 h)</th>
              <th>Breaker</th>
              <th>Timeout</th>
            </tr>
          </thead>
          <tbody>
            {(agents.value?.items ?? []).map((agent) => {
              const h = health.value?.get(agent.name);
              return (
                <tr key={agent.name} data-agent={agent.name}>
                  <td>
                    <Link to={`/agents/${encodeURIComponent(agent.name)}`}>{agent.name}</Link>
                  </td>
                  <td>{agent.kind}</td>
                  <td className="mono wrap">{agent.url ?? '—'}</td>
                  <td>{agent.capabilities?.join(', ') || '—'}</td>
                  <td data-testid="in-flight">{h ? h.inFlight : '…'}</td>
                  <td data-testid="slots">{h ? `${h.slots.used} / ${h.slots.free === null ? 'unlimited' : h.slots.free}` : '…'}</td>
                  <td data-testid="failures" className={h && h.recentFailures.count > 0 ? 'bad' : undefined}>
                    {h ? h.recentFailures.count : '…'}
                  </td>
                  <td data-testid="breaker" className={h && h.breaker.state !== 'closed' ? 'bad' : undefined}>
                    {h ? h.breaker.state.replace('_', '-') : '…'}
                  </td>
                  <td>{agent.timeoutSeconds ? `${agent.timeoutSeconds} s` : 'default'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Failures({ health }: { health: AgentHealth }) {
  const { slots, recentFailures } = health;
  return (
    <>
      <p data-testid="agent-health">
        {health.inFlight} in flight · slots: {slots.limit === null ? `${slots.used} used, unlimited` : `${slots.used} of ${slots.limit} used, ${slots.free} free`} ·{' '}
        {recentFailures.count} failed since {formatTime(recentFailures.since)} · breaker:{' '}
        <span data-testid="agent-breaker">{health.breaker.state.replace('_', '-')}</span>
        {health.breaker.state === 'closed' ? '' : ` (opened ${formatTime(health.breaker.opened_at ?? '')})`} ·{' '}
        {health.breaker.consecutive_failures} of {health.breaker.failure_threshold} failures in a row
      </p>
      {recentFailures.items.length > 0 && (
        <ul className="findings" data-testid="agent-failures">
          {recentFailures.items.map((failure) => (
            <li key={`${failure.runId}-${failure.stepKey}`}>
              <span className="mono">{formatTime(failure.at)}</span>{' '}
              <Link to={`/runs/${failure.runId}?step=${encodeURIComponent(failure.stepKey)}`}>
                {shortId(failure.runId)} / {failure.stepKey}
              </Link>{' '}
              <StatusBadge status={failure.status} /> attempt {failure.attempt}: <strong>{failure.code ?? 'error'}</strong> {failure.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
