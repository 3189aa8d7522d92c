import type { ReactNode } from 'react';
import type { BatonEvent, RunBudget, Step } from '../api';
import { Json, formatTime } from '../components';
import { Link } from '../router';

/** Each limit and the counter it caps (docs/budgets.md). */
const LIMITS: Array<{ limit: keyof RunBudget['limits']; spent: keyof RunBudget['spent']; label: string }> = [
  { limit: 'max_steps', spent: 'steps', label: 'steps' },
  { limit: 'max_turns', spent: 'turns', label: 'turns' },
  { limit: 'max_tokens', spent: 'tokens', label: 'tokens' },
  { limit: 'max_cost', spent: 'cost', label: 'cost' },
  { limit: 'max_wall_seconds', spent: 'wall_seconds', label: 'wall seconds' },
];

const ON_EXCEED: Record<string, string> = {
  fail: 'the step and the run tree fail',
  pause: 'the run tree pauses until the budget is raised',
  ask: 'a person is asked (an approval) to raise it',
};

/**
 * The run tree's budget: each limit against what the tree spent, which limits passed 80 %
 * (warned) and which one stopped it (exceeded), and what happens past a limit. Every run of
 * a tree shows its root's budget; a child run says so and links to the root.
 */
export function BudgetBox({ budget, runId }: { budget: RunBudget | null | undefined; runId: string }) {
  if (!budget) return null;
  const rows = LIMITS.filter((row) => budget.limits[row.limit] !== undefined && budget.limits[row.limit] !== null);
  const warned = new Set(budget.warned ?? []);
  return (
    <details open className="block" data-testid="run-budget" data-exceeded={budget.exceeded ?? ''}>
      <summary>
        Budget{budget.exceeded ? <strong className="budget-exceeded"> · exceeded: {budget.exceeded}</strong> : warned.size > 0 ? ' · warned' : ''}
      </summary>
      {budget.rootRunId && budget.rootRunId !== runId && (
        <p className="muted">
          The budget of the whole run tree, set on its root run <Link to={`/runs/${budget.rootRunId}`}>{budget.rootRunId.slice(0, 8)}</Link>.
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>limit</th>
              <th>spent</th>
              <th>of</th>
              <th>used</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const max = budget.limits[row.limit]!;
              const spent = budget.spent[row.spent] ?? 0;
              const percent = max > 0 ? Math.min(100, Math.round((100 * spent) / max)) : 100;
              const state = budget.exceeded === row.limit ? 'exceeded' : warned.has(row.limit) ? 'warned' : 'ok';
              return (
                <tr key={row.limit} data-limit={row.limit} data-state={state}>
                  <td>
                    {row.label} <span className="muted mono">{row.limit}</span>
                  </td>
                  <td>{formatAmount(spent)}</td>
                  <td>{formatAmount(max)}</td>
                  <td>
                    <progress max={100} value={percent} aria-label={`${row.label}: ${percent} % used`} /> {percent} %
                  </td>
                  <td className={state === 'ok' ? undefined : 'bad'}>{state === 'warned' ? 'warned (past 80 %)' : state}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p>
        Past a limit (<span className="mono">on_exceed: {budget.on_exceed}</span>): {ON_EXCEED[budget.on_exceed] ?? budget.on_exceed}.
      </p>
    </details>
  );
}

function formatAmount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4).replace(/0+$/, '');
}

/**
 * What a waiting step waits for, from its latest `step.waiting` event (`reason` and the data
 * that goes with it): an event (a `type: wait` step), a person, a child run, worker nodes, or
 * an agent whose circuit breaker is open.
 */
export function WaitingFor({ step, events }: { step: Step; events: BatonEvent[] }) {
  if (step.status !== 'waiting') return null;
  const data = [...events].reverse().find((event) => event.type === 'step.waiting')?.data ?? null;
  const reason = (data?.reason as string | undefined) ?? step.wait_reason ?? null;
  if (!reason) return null;
  let what: ReactNode;
  if (reason === 'event') {
    what = (
      <>
        the event <strong className="mono">{String(data?.event ?? '?')}</strong>
        {data?.since && <> (stored since {formatTime(String(data.since))})</>}
        {data?.expiresAt ? <>, until {formatTime(String(data.expiresAt))}</> : ', with no deadline'}
        {data?.match !== undefined && (typeof data.match === 'string' ? <>, where <span className="mono">{data.match}</span></> : <>, whose data contains:</>)}
      </>
    );
  } else if (reason === 'approval') {
    what = data?.approvalId ? <Link to={`/approvals/${String(data.approvalId)}`}>a decision in the approvals inbox</Link> : 'a decision in the approvals inbox';
  } else if (reason === 'child_run') {
    what = data?.childRunId ? <>its child run <Link to={`/runs/${String(data.childRunId)}`}>{String(data.childRunId).slice(0, 8)}</Link></> : 'its child run';
  } else if (reason === 'worker') {
    what = `worker nodes (${Array.isArray(data?.jobIds) ? data.jobIds.length : 'its'} job${Array.isArray(data?.jobIds) && data.jobIds.length === 1 ? '' : 's'})`;
  } else if (reason === 'breaker_open') {
    what = 'an agent: every agent that could serve it has an open circuit breaker';
  } else {
    what = reason;
  }
  return (
    <div className="notice waiting-for" data-testid="waiting-for" data-reason={reason}>
      <div>
        Waiting for {what}
        {reason === 'event' && data?.match !== undefined && typeof data.match !== 'string' && <Json value={data.match} label="event match" />}
      </div>
    </div>
  );
}
