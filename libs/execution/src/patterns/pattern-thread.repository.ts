import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import type { HistoryEntry, ThreadState } from './pattern-logic.js';

/** Which thread: a swarm step of one definition, for one owner, keyed by the input's thread field. */
export interface ThreadKey {
  owner: string;
  definitionName: string;
  stepKey: string;
  thread: string;
}

/** orchestration_pattern_threads: swarm conversations remembered from run to run. */
@Injectable()
export class PatternThreadRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * The thread as it was when `stepId` started: if that step already wrote it (it ran to
   * the end, then its process died before the step completed), what it held before.
   */
  async load(key: ThreadKey, stepId: string): Promise<ThreadState | null> {
    const { rows } = await this.db.query<{ agent: string | null; history: HistoryEntry[] }>(
      `select case when updated_by_step = $5::uuid then previous_agent else active_agent end as agent,
              case when updated_by_step = $5::uuid then previous_history else history end as history
         from orchestration_pattern_threads
        where owner = $1::text and definition_name = $2::text and step_key = $3::text and thread = $4::text`,
      [key.owner, key.definitionName, key.stepKey, key.thread, stepId],
    );
    const row = rows[0];
    return row ? { activeAgent: row.agent, history: row.history ?? [] } : null;
  }

  /** Writes what `stepId` leaves behind, keeping what it found for a replay of the same step. */
  async save(key: ThreadKey, stepId: string, state: ThreadState): Promise<void> {
    await this.db.query(
      `insert into orchestration_pattern_threads as t (owner, definition_name, step_key, thread, active_agent, history, updated_by_step)
       values ($1::text, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::uuid)
       on conflict (owner, definition_name, step_key, thread) do update
          set previous_agent = case when t.updated_by_step = $7::uuid then t.previous_agent else t.active_agent end,
              previous_history = case when t.updated_by_step = $7::uuid then t.previous_history else t.history end,
              active_agent = excluded.active_agent, history = excluded.history,
              updated_by_step = excluded.updated_by_step, updated_at = now()`,
      [key.owner, key.definitionName, key.stepKey, key.thread, state.activeAgent, JSON.stringify(state.history), stepId],
    );
  }
}
