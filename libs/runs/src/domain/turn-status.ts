import { stateMachine } from '@baton/common';
import { STEP_MOVES, type StepStatus } from './step-status.js';

/**
 * A pattern turn's state machine. A turn is `running` from just before its agent is called;
 * a turn that failed, or whose process died mid-call, is started again (same row, attempt
 * + 1); a `completed` turn is final, which is what keeps a replay from calling it twice.
 */
export type TurnStatus = 'running' | 'completed' | 'failed';

const TRANSITIONS: Record<TurnStatus, readonly TurnStatus[]> = {
  running: ['running', 'completed', 'failed'],
  failed: ['running'],
  completed: [],
};

export const TURN_MACHINE = stateMachine(TRANSITIONS);

export const TURN_MOVES = {
  /** (Re)start a turn that is not completed. */
  start: TURN_MACHINE.guard('running'),
  complete: TURN_MACHINE.guard('completed'),
  fail: TURN_MACHINE.guard('failed'),
} as const;

/** The pattern step must still be held (running, same lease token) for its turns to be written. */
export const HELD_STEP_STATUSES: readonly StepStatus[] = STEP_MOVES.park.from;

/** One turn of a `type: pattern` step. */
export interface PatternTurn {
  stepId: string;
  turn: number;
  /** The participant's name in the team. */
  agent: string;
  status: TurnStatus;
  attempt: number;
  cacheHit: boolean;
  input: unknown;
  output: unknown;
  error: unknown;
  startedAt: Date;
  finishedAt: Date | null;
}
