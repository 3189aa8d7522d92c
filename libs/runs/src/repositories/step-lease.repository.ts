import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { APPENDED_EVENTS_JSON, EVENT_SOURCE_COLUMNS, EVENTS_CHANNEL, eventAppendCtes, eventPayload, eventsFromJson, type NewEvent, type RunEvent } from '@baton/events';
import type { ClaimCandidate } from '../domain/agent-choice.js';
import type { ClaimedStep } from '../domain/run.types.js';
import { claimCtes, claimParams, recordClaimsSql, toClaimedStep, type ClaimedRow } from './claim-statements.js';
import { RESERVATION_NAMESPACE, reservationSql, runLockKey, toReservation, type Reservation, type ReservationRow } from './claim-locks.repository.js';
import { CLAIMABLE_RUN_STATUSES, RUN_MOVES } from '../domain/run-status.js';
import { STEP_MOVES } from '../domain/step-status.js';

export interface RunningCounts {
  total: number;
  byAgent: Map<string, number>;
}

/** Wake reasons of steps that continue work already under way (a worker node's result). */
const CONTINUATION_WAKES = ['worker_job'];

/** The claim, lease renewal and lease recovery statements (the claim statement's parts: claim-statements.ts). */
@Injectable()
export class StepLeaseRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Running steps now: in all, and per agent that serves them. `served_by` is set by every
   * claim (the named agent, or the one chosen for a capability); `agent` covers steps claimed
   * before the column existed.
   */
  async runningCounts(tx: Queryable): Promise<RunningCounts> {
    const { rows } = await tx.query<{ agent: string | null; n: number }>(
      `select coalesce(served_by, agent) as agent, count(*)::int as n
         from orchestration_steps where status = 'running' group by 1`,
    );
    const byAgent = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      total += row.n;
      if (row.agent) byAgent.set(row.agent, row.n);
    }
    return { total, byAgent };
  }
  /** Running steps of these agents (by the agent that serves them), for their limits. */
  async runningOf(agents: string[], tx: Queryable): Promise<Map<string, number>> {
    const { rows } = await tx.query<{ agent: string; n: number }>(
      `select coalesce(served_by, agent) as agent, count(*)::int as n
         from orchestration_steps where status = 'running' and coalesce(served_by, agent) = any($1::text[]) group by 1`,
      [agents],
    );
    return new Map(rows.map((row) => [row.agent, row.n]));
  }


  /**
   * When each agent was last given a step (ms since epoch). Kept per agent, not read from the
   * steps it served: a retry that moves a step to another agent overwrites the step's
   * `served_by`, which would forget this agent's use of it.
   */
  async lastUsed(agents: string[], tx: Queryable): Promise<Map<string, number>> {
    if (agents.length === 0) return new Map();
    const { rows } = await tx.query<{ agent: string; at: Date }>(
      `select agent, last_claimed_at as at from orchestration_agent_claims where agent = any($1::text[])`,
      [agents],
    );
    return new Map(rows.map((r) => [r.agent, new Date(r.at).getTime()]));
  }

  /**
   * Records that these agents were just given steps, in the order they were chosen (a
   * microsecond apart, so one claim's order survives into the next). The clock, not the
   * transaction's start: a claim that waited for another's agent lock records a later time.
   * Rows are written in agent order, so concurrent claims lock them in the same order.
   */
  async recordClaims(agents: string[], tx: Queryable): Promise<void> {
    if (agents.length === 0) return;
    await tx.query(recordClaimsSql('$1', 'true'), [agents]);
  }

  /**
   * queued → waiting: no agent can take these steps now (open breakers). No attempt is
   * spent and no slot held; `agent_wait_since` keeps the first time, for the allocation timeout.
   */
  async parkForAgent(ids: string[], tx: Queryable): Promise<Array<{ runId: string; key: string }>> {
    if (ids.length === 0) return [];
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(
      `update orchestration_steps
          set status = 'waiting', wait_reason = 'breaker_open', agent_wait_since = coalesce(agent_wait_since, now()),
              updated_at = now()
        where id = any($1::uuid[]) and status = any($2::text[])
        returning run_id, step_key`,
      [ids, STEP_MOVES.parkForAgent.from],
    );
    return rows.map((row) => ({ runId: row.run_id, key: row.step_key }));
  }

  /**
   * Admission (MAX_CONCURRENT_WORKFLOWS): admits the oldest waiting top-level runs while fewer
   * than `limit` admitted top-level runs are still open. Runs under the admission lock, so
   * two instances never admit past the limit. Returns the runs admitted.
   */
  async admit(limit: number, tx: Queryable): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `with active as (
         select count(*)::int as n from orchestration_runs
          where parent_run_id is null and admitted_at is not null and status = any($2::text[])
       ), next as (
         select id from orchestration_runs
          where admitted_at is null and parent_run_id is null and status = any($3::text[])
          order by created_at, id
          limit greatest(0, $1::int - (select n from active))
       )
       update orchestration_runs r set admitted_at = now(), updated_at = now()
         from next where r.id = next.id
       returning r.id`,
      [limit, RUN_MOVES.cancel.from, RUN_MOVES.start.from],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Locks the runs this claim will take steps from, oldest due step first, with a try-lock
   * per run (an advisory key from the run's id): a run another claim holds is skipped and
   * left to it, so two claims serve disjoint runs. Not a row lock (`for update skip locked`):
   * every step completion updates its run's row, and a claim skipping a run for that would
   * leave its due steps to the next poll. Locks as many runs as the oldest ones offering
   * `limit` steps number (an estimate, read before the lock: the exact free slots are counted
   * once the runs are held); a run skipped does not count, so a second claim takes the next
   * ones. Runs with no free slot are not locked. The try-lock filters a materialized, ordered
   * CTE row by row under the limit (a plain subquery would get the filter pushed below its
   * sort, trying every run), so only the runs returned are locked.
   */
  async lockRuns(limit: number, tx: Queryable, continuationsOnly = false): Promise<string[]> {
    // Each claimable run's due steps, earliest first and at most max_parallel of them, are
    // one range scan of its queue index (orchestration_steps_run_queue_idx): the cost follows
    // the runs and their slots, not every queued step in the table.
    const { rows } = await tx.query<{ id: string }>(
      `with busy as (
         select run_id, count(*)::int as n from orchestration_steps where status = 'running' group by run_id
       ), offers as (
         select r.id, d.at,
                coalesce(sum(least(d.n, r.max_parallel - coalesce(b.n, 0)))
                  over (order by d.at, r.id rows between unbounded preceding and 1 preceding), 0) as before
           from orchestration_runs r
           left join busy b on b.run_id = r.id
           cross join lateral (
             select min(q.available_at) as at, count(*)::int as n from (
               select q.available_at from orchestration_steps q
                where q.run_id = r.id and q.status = 'queued' and q.available_at <= now()
                  and (not $3::boolean or q.wake_reason = any($4::text[]))
                order by q.available_at, q.position
                limit r.max_parallel
             ) as q
           ) as d
          where r.status = any($2::text[]) and r.admitted_at is not null and d.n > 0 and r.max_parallel > coalesce(b.n, 0)
       ), ordered as materialized (
         select id from offers order by at, id
       )
       select o.id from ordered o
        where pg_try_advisory_xact_lock(${runLockKey('o.id')})
        limit (select count(*) from offers where before < $1::int)`,
      [limit, CLAIMABLE_RUN_STATUSES, continuationsOnly, CONTINUATION_WAKES],
    );
    return rows.map((row) => row.id);
  }

  /**
   * The hand-off's `lockGlobal` and `lockRuns` in one statement (issue 17), never waiting:
   * the global claim lock shared (`global` false: an exclusive claim is under way, nothing
   * else is locked), then a try-lock on each of these runs (the ones whose steps the calling
   * transaction just completed) that has due steps. `skipped`: such a run was held by
   * another claim. A run whose lock this transaction already holds is re-entered (advisory
   * locks are re-entrant within a session). No row: none of these runs has a due step. The
   * due-step check is a scalar subquery with a limit, so it stays one probe of the run's queue
   * index per run (as a semi-join, stale statistics can make it sort every queued step).
   */
  async tryLockDueRuns(
    runIds: string[], globalKey: number, tx: Queryable, continuationsOnly = false,
  ): Promise<{ global: boolean; locked: string[]; skipped: boolean }> {
    const { rows } = await tx.query<{ id: string; global: boolean; locked: boolean }>(
      `with g as materialized (select pg_try_advisory_xact_lock_shared($5::bigint) as ok)
       select r.id, g.ok as global,
              case when g.ok then pg_try_advisory_xact_lock(${runLockKey('r.id')})
                   else false end as locked
         from orchestration_runs r cross join g
        where r.id = any($1::uuid[]) and r.status = any($2::text[]) and r.admitted_at is not null
          and (select true from orchestration_steps s
                where s.run_id = r.id and s.status = 'queued' and s.available_at <= now()
                  and (not $3::boolean or s.wake_reason = any($4::text[]))
                limit 1)
        order by r.id`,
      [runIds, CLAIMABLE_RUN_STATUSES, continuationsOnly, CONTINUATION_WAKES, globalKey],
    );
    return {
      global: rows.every((row) => row.global),
      locked: rows.filter((row) => row.locked).map((row) => row.id),
      skipped: rows.some((row) => !row.locked),
    };
  }

  /**
   * Queued steps that are due in these runs (locked by the caller), at most each run's free
   * slots (max_parallel minus its running steps), oldest first. A statement of its own, after
   * the lock: its snapshot then sees what the run's previous claimer committed.
   *
   * With `reserve`, the same statement also makes the shared claim's reservation
   * (`reservationSql`) for as many slots as it found steps, at most `reserve.capacity`
   * (issue 17: one round trip fewer for a hand-off). Only for a claim that then waits for no
   * lock: a reservation held while waiting would make other claims contend for nothing.
   */
  async candidates(
    runIds: string[], limit: number, tx: Queryable, continuationsOnly = false, reserve?: { capacity: number; globalMax: number },
  ): Promise<{ candidates: ClaimCandidate[]; reservation: Reservation | null }> {
    type Row = ReservationRow & {
      id: string | null; run_id: string; agent: string | null; capability: string | null; served_by: string | null; wake_reason: string | null;
    };
    // Per run, its first `free` queued steps by (available_at, position): one range scan of
    // orchestration_steps_run_queue_idx each, however many steps the run has queued.
    const found = `busy as (
         select run_id, count(*)::int as n from orchestration_steps
          where status = 'running' and run_id = any($5::uuid[]) group by run_id
       ), found as materialized (
         select s.id, s.run_id, s.agent, s.capability, s.served_by, s.wake_reason, s.available_at, s.position
           from orchestration_runs r
           left join busy b on b.run_id = r.id
           cross join lateral (
             select q.id, q.run_id, q.agent, q.capability, q.served_by, q.wake_reason, q.available_at, q.position
               from orchestration_steps q
              where q.run_id = r.id and q.status = 'queued' and q.available_at <= now()
                and (not $3::boolean or q.wake_reason = any($4::text[]))
              order by q.available_at, q.position
              limit greatest(r.max_parallel - coalesce(b.n, 0), 0)
           ) as s
          where r.id = any($5::uuid[]) and r.status = any($2::text[]) and r.admitted_at is not null
          order by s.available_at, s.run_id, s.position
          limit $1::int
       )`;
    const params: unknown[] = [limit, CLAIMABLE_RUN_STATUSES, continuationsOnly, CONTINUATION_WAKES, runIds];
    let sql = `with ${found} select * from found order by available_at, run_id, position`;
    if (reserve) {
      const reservation = reservationSql('least($7::int, (select count(*)::int from found))', '$6', '$8', 'exists (select 1 from found)');
      sql = `with ${found}, ${reservation.ctes}
             select ${reservation.columns}, f.* from ${reservation.from} left join found f on true
              order by f.available_at, f.run_id, f.position`;
      params.push(RESERVATION_NAMESPACE, reserve.capacity, reserve.globalMax);
    }
    const { rows } = await tx.query<Row>(sql, params);
    const candidates = rows.filter((row) => row.id !== null).map((row) => ({
      id: row.id!, runId: row.run_id, agent: row.agent, capability: row.capability, servedBy: row.served_by, wakeReason: row.wake_reason,
    }));
    return { candidates, reservation: reserve ? toReservation(rows[0]) : null };
  }

  /**
   * queued → running with a fresh lease. Every claim bumps the fencing token; a woken
   * waiting step keeps its attempt number, anything else starts a new attempt. Each pick
   * records the agent that serves it (`served_by`) and when (`claimed_at`).
   */
  async claim(picks: Array<{ id: string; servedBy: string | null }>, owner: string, leaseSeconds: number, tx: Queryable): Promise<ClaimedStep[]> {
    return (await this.claimWithin(picks, owner, leaseSeconds, null, tx)) as ClaimedStep[];
  }

  /**
   * `claim`, only if the running steps (counted by this statement) plus `room.atMost` stay
   * within `room.globalMax`; otherwise nothing is written and the answer is 'no_room'. This
   * is the shared claim's recount of the global limit (issue 17): counted here rather than by
   * a statement of its own, and still after the reservations were read, since a statement's
   * snapshot is taken when it starts. Null `room`: no check.
   */
  async claimWithin(
    picks: Array<{ id: string; servedBy: string | null }>, owner: string, leaseSeconds: number,
    room: { atMost: number; globalMax: number } | null, tx: Queryable,
  ): Promise<ClaimedStep[] | 'no_room'> {
    const { rows } = await tx.query<ClaimedRow & { room: boolean }>(
      `with ${claimCtes} select (select ok from room) as room, c.* from (select 1) as one left join claimed c on true`,
      claimParams(picks, owner, leaseSeconds, room),
    );
    if (rows[0] && !rows[0].room) return 'no_room';
    return rows.filter((row) => row.id !== null).map(toClaimedStep);
  }

  /**
   * `claimWithin`, and in the same statement what a claim records of itself (issue 17: two
   * or three round trips fewer a claim): its runs still pending start (`run.started`), its
   * agents' last-claim times (`recordClaims`), and its events, appended after `leading` (a
   * hand-off's completion events): `run.started`, then `step.started` per step in pick order,
   * as the separate statements wrote them. 'no_room' writes none of it.
   */
  async claimRecorded(
    picks: Array<{ id: string; servedBy: string | null }>, owner: string, leaseSeconds: number,
    room: { atMost: number; globalMax: number } | null, record: { leading: NewEvent[]; agents: string[] }, tx: Queryable,
  ): Promise<{ claimed: ClaimedStep[]; started: string[]; events: RunEvent[] } | 'no_room'> {
    const params = claimParams(picks, owner, leaseSeconds, room);
    const p = (value: unknown) => `$${params.push(value)}`;
    const leading = p(eventPayload(record.leading));
    const runMove = { from: p(RUN_MOVES.start.from), to: p(RUN_MOVES.start.to) };
    const stepMove = { from: p(STEP_MOVES.claim.from[0]), to: p(STEP_MOVES.claim.to[0]) };
    const agents = p(record.agents);
    const channel = p(EVENTS_CHANNEL);
    const { rows } = await tx.query<ClaimedRow & { room: boolean; started: string[] | null; events: Parameters<typeof eventsFromJson>[0] }>(
      `with ${claimCtes}, started_runs as (
         update orchestration_runs r set status = ${runMove.to}::text, started_at = now(), updated_at = now()
           from (select distinct run_id, run_status from claimed where run_status = any(${runMove.from}::text[])) as c
          where r.id = c.run_id and r.status = any(${runMove.from}::text[])
          returning r.id, c.run_status as from_status
       ), agent_claims as (
         ${recordClaimsSql(agents, 'exists (select 1 from claimed)')}
       ), ${eventAppendCtes(
         `select l.ord, l.run_id, l.type, l.step_key, l.data
            from jsonb_to_recordset(${leading}::jsonb) as l(${EVENT_SOURCE_COLUMNS}) where (select ok from room)
          union all
          select 1000000 + (row_number() over (order by sr.id))::int, sr.id, 'run.started', null,
                 jsonb_build_object('from', sr.from_status, 'to', ${runMove.to}::text) from started_runs sr
          union all
          select 2000000 + c.ord, c.run_id, 'step.started', c.step_key,
                 jsonb_build_object('attempt', c.attempt, 'agent', c.agent, 'servedBy', c.served_by, 'instance', $2::text,
                                    'from', ${stepMove.from}::text, 'to', ${stepMove.to}::text)
            from claimed c`,
         channel,
       )}
       -- The runs started and the events ride on the first row only: on every row, a claim of
       -- n steps would send its 2n events n times.
       select (select ok from room) as room,
              case when row_number() over () = 1 then (select array_agg(id) from started_runs) end as started,
              case when row_number() over () = 1 then ${APPENDED_EVENTS_JSON} end as events, c.*
         from (select 1) as one left join claimed c on true`,
      params,
    );
    if (rows[0] && !rows[0].room) return 'no_room';
    const claimed = rows.filter((row) => row.id !== null).sort((a, b) => a.ord! - b.ord!).map(toClaimedStep);
    const first = rows.find((row) => row.events !== null) ?? rows[0];
    return { claimed, started: first?.started ?? [], events: eventsFromJson(first?.events ?? []) };
  }

  /**
   * Steps of these runs running under `owner`'s lease, as the claim that leased them returned
   * them (for `StepLeaseService.heldBy`). `wakeReason` is gone (the claim cleared it), so a
   * step read back here runs as a fresh attempt would.
   */
  async heldBy(owner: string, runIds: string[], tx: Queryable): Promise<ClaimedStep[]> {
    const { rows } = await tx.query<ClaimedRow>(
      `select s.id, s.run_id, s.step_key, s.type, s.agent, s.capability, s.served_by, s.attempt, s.max_attempts, s.lease_token,
              null as wake_reason, s.iteration, s.child_run_id, r.definition_id, r.owner, r.input, r.status as run_status, r.trace_context
         from orchestration_steps s join orchestration_runs r on r.id = s.run_id
        where s.run_id = any($1::uuid[]) and s.status = any($3::text[]) and s.lease_owner = $2::text`,
      [runIds, owner, STEP_MOVES.claim.to],
    );
    return rows.map(toClaimedStep);
  }

  /**
   * Extends the leases this instance still holds; returns the ids it still holds. Each step
   * is found by its id and locked in id order, as a completion locks its steps (issue 17: as
   * `id = any(…)` over the table, behind a fast-filled queue's stale statistics, it scanned
   * every step and took hundreds of milliseconds, its row locks in the table's order).
   */
  async renew(ids: string[], owner: string, leaseSeconds: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.db.query<{ id: string }>(
      `with mine as (
         select s.id from (select distinct i.id from unnest($1::uuid[]) as i(id) order by i.id) as i
          cross join lateral (
            select s.id from orchestration_steps s
             where s.id = i.id and s.lease_owner = $2::text and s.status = any($4::text[])
             for update
          ) as s
       )
       update orchestration_steps s set lease_expires_at = now() + ($3::int * interval '1 second')
         from mine where s.id = mine.id
       returning s.id`,
      [ids, owner, leaseSeconds, STEP_MOVES.claim.to],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Running steps whose lease ran out (their process died or stalled) go back to the queue
   * marked `recovered`, so the next claim continues the same attempt instead of spending a
   * new one; past `maxRecoveries` they are returned for failing instead.
   */
  async recoverExpired(
    maxRecoveries: number,
    tx: Queryable,
  ): Promise<{ requeued: Array<{ runId: string; key: string }>; exhausted: Array<{ id: string; token: number }> }> {
    const { rows } = await tx.query<{ id: string; run_id: string; step_key: string; lease_token: number; requeued: boolean }>(
      `with expired as (
         select id, lease_recoveries < $1::int as requeue from orchestration_steps
          where status = any($2::text[]) and lease_expires_at < now()
          for update skip locked
       )
       update orchestration_steps s
          set status = case when e.requeue then 'queued' else s.status end,
              wake_reason = case when e.requeue then 'recovered' else s.wake_reason end,
              lease_recoveries = s.lease_recoveries + 1,
              lease_owner = case when e.requeue then null else s.lease_owner end,
              available_at = now(), queued_at = case when e.requeue then now() else s.queued_at end,
              updated_at = now()
         from expired e where s.id = e.id
       returning s.id, s.run_id, s.step_key, s.lease_token, e.requeue as requeued`,
      [maxRecoveries, STEP_MOVES.recover.from],
    );
    return {
      requeued: rows.filter((r) => r.requeued).map((r) => ({ runId: r.run_id, key: r.step_key })),
      exhausted: rows.filter((r) => !r.requeued).map((r) => ({ id: r.id, token: r.lease_token })),
    };
  }

  /** Hands a step back (this process is shutting down): queued again, same attempt. */
  async release(id: string, token: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update orchestration_steps
          set status = 'queued', wake_reason = 'recovered', lease_owner = null, lease_expires_at = null,
              available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and lease_token = $2::bigint and status = any($3::text[])`,
      [id, token, STEP_MOVES.recover.from],
    );
    return rowCount > 0;
  }

  /**
   * When the next queued step that is not yet due becomes due (retry backoff), for a timer
   * instead of polling. Steps already due but blocked by a slot, or in a paused run, are
   * left out: the end of a step, a resume or the poll wakes the claimers for those.
   */
  async nextDueAt(): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `select min(s.available_at) as at
         from orchestration_steps s join orchestration_runs r on r.id = s.run_id
        where s.status = 'queued' and s.available_at > now() and r.status = any($1::text[])`,
      [CLAIMABLE_RUN_STATUSES],
    );
    return rows[0]?.at ?? null;
  }
}
