import { AgentCallError } from '@baton/agents';
import { ExpressionError } from '@baton/definitions';
import type { StepError } from '@baton/runs';

/** A failure the executor itself raises (bad for_each list, child run failed, ...). */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Normalizes anything thrown while executing a step into the recorded error. */
export function toStepError(error: unknown, attempt: number): StepError {
  if (error instanceof AgentCallError) {
    const result: StepError = { message: error.message, code: error.code, retryable: error.retryable, attempt };
    if (error.status !== undefined) result.details = { status: error.status };
    return result;
  }
  if (error instanceof StepFailure || error instanceof ExpressionError) {
    const result: StepError = { message: error.message, code: error.code, retryable: error.retryable, attempt };
    if (error.details !== undefined) result.details = error.details;
    return result;
  }
  // Our own bugs and unexpected faults: worth another attempt, and loud in the logs.
  return { message: (error as Error)?.message ?? String(error), code: 'internal', retryable: true, attempt };
}
