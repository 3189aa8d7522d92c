import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService, type EventError } from '@baton/events';
import type { ClaimedStep } from '../domain/run.types.js';
import type { PatternTurn } from '../domain/turn-status.js';
import { PatternTurnRepository } from '../repositories/pattern-turn.repository.js';

/** How a turn ended, as the pattern step reports it. */
export type TurnOutcome =
  | { status: 'completed'; output: unknown; cacheHit: boolean }
  | { status: 'failed'; error: EventError & Record<string, unknown> };

/**
 * The turns of `type: pattern` steps. Each write is one transaction with its event and
 * carries the pattern step's fencing token, so a coordinator that lost its lease cannot
 * record a turn, and a completed turn is never started again.
 */
@Injectable()
export class PatternTurnsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(PatternTurnRepository) private readonly turns: PatternTurnRepository,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /** The step's turns in order: what a coordinator replays when it is claimed again. */
  list(stepId: string): Promise<PatternTurn[]> {
    return this.turns.listByStep(stepId);
  }

  /** Every pattern turn of a run, by step id, for `GET /runs/:id`. */
  async listByRun(runId: string): Promise<Map<string, PatternTurn[]>> {
    const byStep = new Map<string, PatternTurn[]>();
    for (const turn of await this.turns.listByRun(runId)) {
      const list = byStep.get(turn.stepId) ?? [];
      list.push(turn);
      byStep.set(turn.stepId, list);
    }
    return byStep;
  }

  /** Records that `turn` starts; the attempt number, or null if the step is no longer ours. */
  async start(step: ClaimedStep, turn: { turn: number; agent: string; input: unknown }): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const attempt = await this.turns.start(step.id, step.token, turn, tx);
      if (attempt === null) return null;
      await this.events.append(tx, [{ runId: step.runId, type: 'step.turn_started', stepKey: step.key, data: { turn: turn.turn, agent: turn.agent, attempt } }]);
      return attempt;
    });
  }

  /** Records the turn's outcome; false if the step is no longer ours. */
  async finish(step: ClaimedStep, turn: { turn: number; agent: string }, outcome: TurnOutcome): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const fields = outcome.status === 'completed'
        ? { status: outcome.status, output: outcome.output, cacheHit: outcome.cacheHit }
        : { status: outcome.status, error: outcome.error, cacheHit: false };
      const durationMs = await this.turns.finish(step.id, step.token, turn.turn, fields, tx);
      if (durationMs === null) return false;
      const data = { turn: turn.turn, agent: turn.agent, status: outcome.status, cacheHit: fields.cacheHit, durationMs };
      if (outcome.status === 'failed') Object.assign(data, { error: { message: outcome.error.message, code: outcome.error.code } });
      await this.events.append(tx, [{ runId: step.runId, type: 'step.turn_completed', stepKey: step.key, data }]);
      return true;
    });
  }
}
