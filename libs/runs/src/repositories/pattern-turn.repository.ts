import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { HELD_STEP_STATUSES, TURN_MOVES, type PatternTurn, type TurnStatus } from '../domain/turn-status.js';
import { json } from './run.mapper.js';

interface TurnRow {
  step_id: string;
  turn: number;
  agent: string;
  status: string;
  attempt: number;
  cache_hit: boolean;
  input: unknown;
  output: unknown;
  error: unknown;
  started_at: Date;
  finished_at: Date | null;
}

const COLUMNS = 'step_id, turn, agent, status, attempt, cache_hit, input, output, error, started_at, finished_at';

/** orchestration_pattern_turns: each write requires the pattern step's current lease. */
@Injectable()
export class PatternTurnRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async listByStep(stepId: string): Promise<PatternTurn[]> {
    const { rows } = await this.db.query<TurnRow>(`select ${COLUMNS} from orchestration_pattern_turns where step_id = $1::uuid order by turn`, [stepId]);
    return rows.map(toTurn);
  }

  async listByRun(runId: string): Promise<PatternTurn[]> {
    const { rows } = await this.db.query<TurnRow>(
      `select ${COLUMNS} from orchestration_pattern_turns where run_id = $1::uuid order by step_id, turn`,
      [runId],
    );
    return rows.map(toTurn);
  }

  /** Closes a run's turns still running (its run ended without them): they fail with `error`. */
  async closeOpen(runId: string, error: unknown, tx: Queryable): Promise<void> {
    await tx.query(
      `update orchestration_pattern_turns set status = 'failed', error = $2::jsonb, finished_at = now()
        where run_id = $1::uuid and status = any($3::text[])`,
      [runId, json(error), TURN_MOVES.fail],
    );
  }

  /**
   * Starts turn `turn` (or starts it again, attempt + 1, if it failed or was cut short) when
   * the step is still held with `token`. Null when the lease was lost or the turn is already
   * completed: the caller must not call the agent then.
   */
  async start(stepId: string, token: number, turn: { turn: number; agent: string; input: unknown }, tx: Queryable): Promise<number | null> {
    const { rows } = await tx.query<{ attempt: number }>(
      `insert into orchestration_pattern_turns as t (run_id, step_id, turn, agent, input)
       select s.run_id, s.id, $3::int, $4::text, $5::jsonb
         from orchestration_steps s
        where s.id = $1::uuid and s.lease_token = $2::bigint and s.status = any($6::text[])
       on conflict (step_id, turn) do update
          set attempt = t.attempt + 1, status = 'running', agent = excluded.agent, input = excluded.input,
              output = null, error = null, cache_hit = false, started_at = now(), finished_at = null
        where t.status = any($7::text[])
       returning t.attempt`,
      [stepId, token, turn.turn, turn.agent, json(turn.input), HELD_STEP_STATUSES, TURN_MOVES.start],
    );
    return rows[0]?.attempt ?? null;
  }

  /** Records a running turn's outcome, under the same lease guard. Returns the duration, or null if refused. */
  async finish(
    stepId: string,
    token: number,
    turn: number,
    outcome: { status: Exclude<TurnStatus, 'running'>; output?: unknown; error?: unknown; cacheHit: boolean },
    tx: Queryable,
  ): Promise<number | null> {
    const guard = outcome.status === 'completed' ? TURN_MOVES.complete : TURN_MOVES.fail;
    const { rows } = await tx.query<{ ms: number }>(
      `update orchestration_pattern_turns t
          set status = $4::text, output = $5::jsonb, error = $6::jsonb, cache_hit = $7::boolean, finished_at = now()
        where t.step_id = $1::uuid and t.turn = $3::int and t.status = any($8::text[])
          and exists (select 1 from orchestration_steps s where s.id = $1::uuid and s.lease_token = $2::bigint and s.status = any($9::text[]))
       returning (extract(epoch from (now() - t.started_at)) * 1000)::float8 as ms`,
      [stepId, token, turn, outcome.status, json(outcome.output ?? null), json(outcome.error ?? null), outcome.cacheHit, guard, HELD_STEP_STATUSES],
    );
    return rows[0] ? Math.round(rows[0].ms) : null;
  }
}

function toTurn(row: TurnRow): PatternTurn {
  return {
    stepId: row.step_id,
    turn: row.turn,
    agent: row.agent,
    status: row.status as TurnStatus,
    attempt: row.attempt,
    cacheHit: row.cache_hit,
    input: row.input,
    output: row.output,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
