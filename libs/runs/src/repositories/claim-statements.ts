import { readRunTraceContext } from '@baton/telemetry';
import type { ClaimedStep, UpstreamStep } from '../domain/run.types.js';
import { STEP_MOVES } from '../domain/step-status.js';
import { iterationsOf } from './run.mapper.js';

/**
 * The claim statement's parts (issue 17), shared by `StepLeaseRepository.claimWithin` (the
 * claim alone) and `claimRecorded` (the claim with its run starts, agents and events), and
 * the mapping of what it returns.
 */

export interface ClaimedRow {
  id: string;
  run_id: string;
  step_key: string;
  type: string;
  agent: string | null;
  capability: string | null;
  served_by: string | null;
  attempt: number;
  max_attempts: number;
  lease_token: number;
  wake_reason: string | null;
  ord?: number;
  iteration: number | null;
  child_run_id: string | null;
  definition_id: string;
  owner: string;
  input: unknown;
  run_status: string;
  trace_context: unknown;
  upstream?: Record<string, { output: unknown; status: string; skipReason: string | null; iterations: unknown[] | null }> | null;
}

/**
 * The claim's CTEs (`claimWithin`): `room` (the recount of the global limit), `picked` (the
 * picks still claimable, locked, each looked up by its id: a plan that scans the queue for
 * them, which statistics behind a fast-growing queue invite, reads every queued step; the
 * update finds them by id too, for the same reason), `claimed` (queued → running; the claimed steps with their
 * run and their dependencies' outputs, and `ord`, their place among the picks). Parameters
 * from `claimParams`. The woken flag is read before the update clears it, so a later retry
 * of the same step counts as a new attempt again.
 */
export const claimCtes = `room as materialized (
         select $6::int is null
                or (select count(*)::int from orchestration_steps where status = any($8::text[])) + $6::int <= $7::int as ok
       ), picked as (
         select s.id, s.wake_reason, c.served_by, c.ord::int as ord
           from unnest($1::uuid[], $5::text[]) with ordinality as c(id, served_by, ord)
           cross join lateral (
             select s.id, s.wake_reason from orchestration_steps s
              where s.id = c.id and s.status = any($4::text[]) and (select ok from room)
              limit 1 for update
           ) as s
       ), claimed as (
         update orchestration_steps s
            set status = 'running', lease_owner = $2::text, served_by = p.served_by, claimed_at = now(),
                wait_reason = null, agent_wait_since = null,
                lease_expires_at = now() + ($3::int * interval '1 second'),
                lease_token = s.lease_token + 1,
                attempt = s.attempt + case when p.wake_reason is null then 1 else 0 end,
                wake_reason = null, started_at = coalesce(s.started_at, now()), updated_at = now()
           from picked p, orchestration_runs r
          where s.id = any(array(select id from picked)) and s.id = p.id and r.id = s.run_id
          returning s.id, s.run_id, s.step_key, s.type, s.agent, s.capability, s.served_by, s.attempt, s.max_attempts, s.lease_token,
                    p.wake_reason, p.ord, s.iteration, s.child_run_id, r.definition_id, r.owner, r.input, r.status as run_status, r.trace_context,
                    case when cardinality(s.depends_on) = 0 then null
                         else (select jsonb_object_agg(u.step_key, jsonb_build_object(
                                        'output', u.output, 'status', u.status, 'skipReason', u.skip_reason,
                                        'iterations', ${iterationsOf('u')}))
                                 from orchestration_steps u where u.run_id = s.run_id and u.step_key = any(s.depends_on)) end as upstream
       )`;

export function claimParams(
  picks: Array<{ id: string; servedBy: string | null }>, owner: string, leaseSeconds: number, room: { atMost: number; globalMax: number } | null,
): unknown[] {
  return [picks.map((p) => p.id), owner, leaseSeconds, STEP_MOVES.claim.from, picks.map((p) => p.servedBy), room?.atMost ?? null,
    room?.globalMax ?? null, STEP_MOVES.claim.to];
}

/**
 * `recordClaims` as a statement (or a CTE's): the agents in `agents` (an array parameter, in
 * the order chosen), when `guard` holds. Rows are written in agent order, so concurrent
 * claims lock them in the same order.
 */
export function recordClaimsSql(agents: string, guard: string): string {
  return `insert into orchestration_agent_claims (agent, last_claimed_at)
       select a.agent, clock_timestamp() + (max(a.ord) * interval '1 microsecond')
         from unnest(${agents}::text[]) with ordinality as a(agent, ord)
        where ${guard}
        group by a.agent order by a.agent
       on conflict on constraint orchestration_agent_claims_pkey do update set last_claimed_at = excluded.last_claimed_at`;
}

export function toClaimedStep(row: ClaimedRow): ClaimedStep {
  return {
    id: row.id,
    runId: row.run_id,
    key: row.step_key,
    type: row.type,
    agent: row.agent,
    capability: row.capability,
    servedBy: row.served_by,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    token: row.lease_token,
    wakeReason: row.wake_reason,
    iteration: row.iteration ?? null,
    childRunId: row.child_run_id,
    definitionId: row.definition_id,
    owner: row.owner,
    runInput: row.input,
    runStatus: row.run_status,
    claimedAt: Date.now(),
    traceContext: readRunTraceContext(row.trace_context),
    ...(row.upstream && { upstream: toUpstream(row.upstream) }),
  };
}

/** The claim's read of the dependencies, shaped as `StepRepository.outputs` shapes its own. */
function toUpstream(read: NonNullable<ClaimedRow['upstream']>): Record<string, UpstreamStep> {
  const upstream: Record<string, UpstreamStep> = {};
  for (const [key, { output, status, skipReason, iterations }] of Object.entries(read)) {
    upstream[key] = iterations ? { output, status, skipReason, iterations } : { output, status, skipReason };
  }
  return upstream;
}
