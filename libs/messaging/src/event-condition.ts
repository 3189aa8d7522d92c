import { Logger } from '@nestjs/common';
import { CORE_VARIABLES, compileExpression, evaluateCondition, type CompiledExpression } from '@baton/definitions';

/** What a wait's or trigger's CEL condition sees of an event. */
export interface EventView {
  id: string;
  name: string;
  data: unknown;
  source: string;
}

const logger = new Logger('EventConditions');
const compiled = new Map<string, CompiledExpression | null>();
const WAIT_VARIABLES = [...CORE_VARIABLES, 'event'];

/**
 * Whether `source` (a CEL condition stored with a wait or a trigger, checked when its definition
 * was stored) holds for `event` with `context` (the run's `input` and `steps`). An expression
 * that fails at run time (a missing key, a wrong type) is a non-match, logged: one bad event
 * must not fail a waiting run.
 */
export function conditionHolds(source: string, path: string, event: EventView, context: Record<string, unknown> = {}): boolean {
  let program = compiled.get(source);
  if (program === undefined) {
    const result = compileExpression(source, path, WAIT_VARIABLES, { boolean: true });
    program = result.ok ? result.expression : null;
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, program);
  }
  if (!program) return false;
  try {
    return evaluateCondition(program, { ...context, event });
  } catch (error) {
    logger.warn(`${(error as Error).message}; event ${event.id} does not match`);
    return false;
  }
}
