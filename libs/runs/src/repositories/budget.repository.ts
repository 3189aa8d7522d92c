import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { BudgetLimit, BudgetSpec } from '@baton/definitions';
import type { BudgetState } from '../domain/budget.js';

// bigint columns are read as float8 so both drivers hand back numbers; wall time is computed
// by the database clock, like every other time comparison of the engine, and stops when the
// root run ends.
const BUDGET_COLUMNS = `root_run_id, max_steps, max_turns, max_tokens::float8 as max_tokens, max_cost, max_wall_seconds,
  on_exceed, spent_steps, spent_turns, spent_tokens::float8 as spent_tokens, spent_cost,
  reserved_tokens::float8 as reserved_tokens, reserved_cost, reserved_calls, reserved_steps, settled_calls,
  max_call_tokens::float8 as max_call_tokens, max_call_cost, warned, exceeded,
  extract(epoch from coalesce((select r.finished_at from orchestration_runs r where r.id = root_run_id), now()) - started_at)::float8 as wall_seconds`;

// What a new call reserves: the largest call settled so far (nothing is known before the first).
const ESTIMATE_TOKENS = `(case when settled_calls > 0 then max_call_tokens else 0 end)`;
const ESTIMATE_COST = `(case when settled_calls > 0 then max_call_cost else 0 end)`;

interface BudgetRow {
  root_run_id: string;
  max_steps: number | null;
  max_turns: number | null;
  max_tokens: number | null;
  max_cost: number | null;
  max_wall_seconds: number | null;
  on_exceed: BudgetState['onExceed'];
  spent_steps: number;
  spent_turns: number;
  spent_tokens: number;
  spent_cost: number;
  reserved_tokens: number;
  reserved_cost: number;
  reserved_calls: number;
  reserved_steps: number;
  settled_calls: number;
  max_call_tokens: number;
  max_call_cost: number;
  warned: BudgetLimit[];
  exceeded: BudgetLimit | null;
  wall_seconds: number;
}

function toState(row: BudgetRow): BudgetState {
  const limits: BudgetState['limits'] = {};
  const maxima: Array<[BudgetLimit, number | null]> = [
    ['max_steps', row.max_steps],
    ['max_turns', row.max_turns],
    ['max_tokens', row.max_tokens],
    ['max_cost', row.max_cost],
    ['max_wall_seconds', row.max_wall_seconds],
  ];
  for (const [limit, max] of maxima) if (max !== null) limits[limit] = Number(max);
  return {
    rootRunId: row.root_run_id,
    limits,
    onExceed: row.on_exceed,
    spent: { steps: row.spent_steps, turns: row.spent_turns, tokens: Number(row.spent_tokens), cost: Number(row.spent_cost), wallSeconds: Number(row.wall_seconds) },
    reserved: { tokens: Number(row.reserved_tokens), cost: Number(row.reserved_cost), calls: row.reserved_calls, steps: row.reserved_steps },
    settledCalls: row.settled_calls,
    largestCall: { tokens: Number(row.max_call_tokens), cost: Number(row.max_call_cost) },
    warned: row.warned ?? [],
    exceeded: row.exceeded,
  };
}

/** A call's reservation, released exactly when it settles. */
export interface Reserved {
  tokens: number;
  cost: number;
}

/** run_budgets and run_step_usage: one statement per method. */
@Injectable()
export class BudgetRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(rootRunId: string, spec: BudgetSpec, tx: Queryable): Promise<void> {
    const l = spec.limits;
    await tx.query(
      `insert into run_budgets (root_run_id, max_steps, max_turns, max_tokens, max_cost, max_wall_seconds, on_exceed)
       values ($1::uuid, $2::int, $3::int, $4::bigint, $5::float8, $6::int, $7::text)`,
      [rootRunId, l.max_steps ?? null, l.max_turns ?? null, l.max_tokens ?? null, l.max_cost ?? null, l.max_wall_seconds ?? null, spec.onExceed],
    );
  }

  /** The root of the run's tree, and whether that tree has a budget; null for an unknown run. */
  async treeOf(runId: string): Promise<{ rootRunId: string; hasBudget: boolean } | null> {
    const { rows } = await this.db.query<{ root: string; has_budget: boolean }>(
      `select t.root, exists (select 1 from run_budgets b where b.root_run_id = t.root) as has_budget
         from (select coalesce((execution->>'rootRunId')::uuid, id) as root from orchestration_runs where id = $1::uuid) t`,
      [runId],
    );
    return rows[0] ? { rootRunId: rows[0].root, hasBudget: rows[0].has_budget } : null;
  }

  async find(rootRunId: string, tx: Queryable = this.db): Promise<BudgetState | null> {
    const { rows } = await tx.query<BudgetRow>(`select ${BUDGET_COLUMNS} from run_budgets where root_run_id = $1::uuid`, [rootRunId]);
    return rows[0] ? toState(rows[0]) : null;
  }

  /**
   * Counts a step attempt against max_steps, once: the attempt's usage row is the mark, so a
   * re-claimed (recovered, woken) attempt is not counted again. A step of a child run spends
   * its run's hold first (reserved when the child started); others need room beside what is
   * spent and held. `counted: false` with `fresh: true` means the count would go past
   * max_steps (nothing was written).
   */
  async admitStep(rootRunId: string, step: { id: string; attempt: number; runId: string }): Promise<{ fresh: boolean; counted: boolean }> {
    const { rows } = await this.db.query<{ fresh: boolean; counted: number }>(
      `with fresh as (
         select not exists (select 1 from run_step_usage where step_id = $2::uuid and attempt = $3::int) as is_new
       ), hold as (
         update run_budget_holds h set steps_left = h.steps_left - 1
           from fresh
          where h.run_id = $4::uuid and h.steps_left > 0 and fresh.is_new
         returning h.run_id
       ), counted as (
         update run_budgets b
            set spent_steps = b.spent_steps + 1, reserved_steps = b.reserved_steps - (select count(*) from hold)::int,
                updated_at = now()
           from fresh
          where b.root_run_id = $1::uuid and fresh.is_new
            and (b.max_steps is null or exists (select 1 from hold) or b.spent_steps + b.reserved_steps + 1 <= b.max_steps)
         returning b.root_run_id
       ), marked as (
         insert into run_step_usage (step_id, attempt, run_id)
         select $2::uuid, $3::int, $4::uuid from counted
         on conflict do nothing
         returning step_id
       )
       select (select is_new from fresh) as fresh, (select count(*) from counted)::int as counted`,
      [rootRunId, step.id, step.attempt, step.runId],
    );
    return { fresh: rows[0]!.fresh, counted: rows[0]!.counted > 0 };
  }

  /**
   * Reserves a child run's steps before it starts (in the transaction that creates it), so
   * parallel children cannot overshoot max_steps together. True when held, or when the tree
   * has no max_steps; false when the child does not fit.
   */
  async holdForChild(rootRunId: string, childRunId: string, steps: number, tx: Queryable): Promise<boolean> {
    const { rows } = await tx.query<{ limited: boolean; held: number }>(
      `with reserved as (
         update run_budgets set reserved_steps = reserved_steps + $3::int, updated_at = now()
          where root_run_id = $1::uuid and max_steps is not null and spent_steps + reserved_steps + $3::int <= max_steps
         returning root_run_id
       ), held as (
         insert into run_budget_holds (run_id, root_run_id, steps_left)
         select $2::uuid, root_run_id, $3::int from reserved
         returning run_id
       )
       select exists (select 1 from run_budgets where root_run_id = $1::uuid and max_steps is not null) as limited,
              (select count(*) from held)::int as held`,
      [rootRunId, childRunId, steps],
    );
    return !rows[0]!.limited || rows[0]!.held > 0;
  }

  /** Gives back what a child run's hold has left (the child ended). */
  async releaseHold(runId: string, tx: Queryable): Promise<void> {
    await tx.query(
      `with released as (delete from run_budget_holds where run_id = $1::uuid returning root_run_id, steps_left)
       update run_budgets b set reserved_steps = greatest(0, b.reserved_steps - r.steps_left), updated_at = now()
         from released r where b.root_run_id = r.root_run_id`,
      [runId],
    );
  }

  /** One more turn, unless it would go past max_turns; the state after, or null if refused. */
  async admitTurn(rootRunId: string): Promise<BudgetState | null> {
    const { rows } = await this.db.query<BudgetRow>(
      `update run_budgets set spent_turns = spent_turns + 1, updated_at = now()
        where root_run_id = $1::uuid and (max_turns is null or spent_turns + 1 <= max_turns)
        returning ${BUDGET_COLUMNS}`,
      [rootRunId],
    );
    return rows[0] ? toState(rows[0]) : null;
  }

  /**
   * Reserves one call's estimate when it fits beside what is spent and already reserved.
   * Before any call has settled only one call may hold a reservation (the probe). The guard
   * is the whole point: concurrent calls race on this row and the losers see no row.
   */
  async reserve(rootRunId: string): Promise<Reserved | null> {
    const { rows } = await this.db.query<{ tokens: number; cost: number }>(
      `update run_budgets
          set reserved_tokens = reserved_tokens + ${ESTIMATE_TOKENS}, reserved_cost = reserved_cost + ${ESTIMATE_COST},
              reserved_calls = reserved_calls + 1, updated_at = now()
        where root_run_id = $1::uuid
          and (settled_calls > 0 or reserved_calls = 0 or (max_tokens is null and max_cost is null))
          and (max_tokens is null or (spent_tokens < max_tokens and spent_tokens + reserved_tokens + ${ESTIMATE_TOKENS} <= max_tokens))
          and (max_cost is null or (spent_cost < max_cost and spent_cost + reserved_cost + ${ESTIMATE_COST} <= max_cost))
        returning ${ESTIMATE_TOKENS}::float8 as tokens, ${ESTIMATE_COST}::float8 as cost`,
      [rootRunId],
    );
    return rows[0] ? { tokens: Number(rows[0].tokens), cost: Number(rows[0].cost) } : null;
  }

  /** Releases a reservation (if any) and adds what the call spent; a completed call also updates the estimate. */
  async settle(rootRunId: string, reserved: Reserved | null, usage: { tokens: number; cost: number }, completed: boolean): Promise<BudgetState | null> {
    const { rows } = await this.db.query<BudgetRow>(
      `update run_budgets
          set reserved_tokens = greatest(0, reserved_tokens - $2::bigint), reserved_cost = greatest(0, reserved_cost - $3::float8),
              reserved_calls = greatest(0, reserved_calls - $4::int),
              spent_tokens = spent_tokens + $5::bigint, spent_cost = spent_cost + $6::float8,
              settled_calls = settled_calls + $7::int,
              max_call_tokens = greatest(max_call_tokens, $5::bigint), max_call_cost = greatest(max_call_cost, $6::float8),
              updated_at = now()
        where root_run_id = $1::uuid
        returning ${BUDGET_COLUMNS}`,
      [rootRunId, reserved?.tokens ?? 0, reserved?.cost ?? 0, reserved ? 1 : 0, usage.tokens, usage.cost, completed ? 1 : 0],
    );
    return rows[0] ? toState(rows[0]) : null;
  }

  /** Adds one call's usage to its step attempt. */
  async addStepUsage(step: { id: string; attempt: number; runId: string }, usage: { tokens: number; cost: number }): Promise<void> {
    await this.db.query(
      `insert into run_step_usage (step_id, attempt, run_id, tokens, cost, calls)
       values ($1::uuid, $2::int, $3::uuid, $4::bigint, $5::float8, 1)
       on conflict (step_id, attempt) do update
         set tokens = run_step_usage.tokens + excluded.tokens, cost = run_step_usage.cost + excluded.cost,
             calls = run_step_usage.calls + 1, updated_at = now()`,
      [step.id, step.attempt, step.runId, usage.tokens, usage.cost],
    );
  }

  /** What each step of a run spent, summed over its attempts, by step id; steps whose calls reported nothing are left out. */
  async usageByStep(runId: string): Promise<Map<string, { tokens: number; cost: number }>> {
    const { rows } = await this.db.query<{ step_id: string; tokens: number; cost: number }>(
      `select step_id, sum(tokens)::float8 as tokens, sum(cost)::float8 as cost
         from run_step_usage where run_id = $1::uuid group by step_id having sum(calls) > 0`,
      [runId],
    );
    return new Map(rows.map((row) => [row.step_id, { tokens: Number(row.tokens), cost: Number(row.cost) }]));
  }

  /** Records that the 80 % warning for `limit` was sent; false when it already was. */
  async markWarned(rootRunId: string, limit: BudgetLimit, tx: Queryable): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update run_budgets set warned = array_append(warned, $2::text)
        where root_run_id = $1::uuid and not ($2::text = any(warned))`,
      [rootRunId, limit],
    );
    return rowCount > 0;
  }

  /** Records the exceeded limit; false when one was already recorded (and not cleared by a raise). */
  async markExceeded(rootRunId: string, limit: BudgetLimit, tx: Queryable): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update run_budgets set exceeded = $2::text, updated_at = now() where root_run_id = $1::uuid and exceeded is null`,
      [rootRunId, limit],
    );
    return rowCount > 0;
  }

  /**
   * Sets new limits (those given; the rest stay), clears the exceeded mark, and forgets the
   * warnings of the limits changed so that each new limit warns again at its own 80 %.
   */
  async raise(rootRunId: string, update: { limits: BudgetSpec['limits']; onExceed?: BudgetSpec['onExceed'] }, tx: Queryable): Promise<BudgetState | null> {
    const l = update.limits;
    const changed = Object.keys(l);
    const { rows } = await tx.query<BudgetRow>(
      `update run_budgets
          set max_steps = coalesce($2::int, max_steps), max_turns = coalesce($3::int, max_turns),
              max_tokens = coalesce($4::bigint, max_tokens), max_cost = coalesce($5::float8, max_cost),
              max_wall_seconds = coalesce($6::int, max_wall_seconds), on_exceed = coalesce($7::text, on_exceed),
              exceeded = null, warned = array(select w from unnest(warned) w where not (w = any($8::text[]))),
              updated_at = now()
        where root_run_id = $1::uuid
        returning ${BUDGET_COLUMNS}`,
      [rootRunId, l.max_steps ?? null, l.max_turns ?? null, l.max_tokens ?? null, l.max_cost ?? null, l.max_wall_seconds ?? null, update.onExceed ?? null, changed],
    );
    return rows[0] ? toState(rows[0]) : null;
  }
}
