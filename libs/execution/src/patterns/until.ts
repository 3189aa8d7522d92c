import { compileExpression, evaluateCondition, ExpressionError, CHAT_UNTIL_VARIABLES } from '@baton/definitions';
import { StepFailure } from '../executor/step-failure.js';

/**
 * A group chat's `until` as a predicate. It was compiled when the definition was stored, so
 * compiling again cannot fail on a stored definition; an evaluation error (a missing key, a
 * non-boolean) fails the step without a retry: the same transcript would fail the same way.
 */
export function compileUntil(source: string, path: string): (context: Record<string, unknown>) => boolean {
  const compiled = compileExpression(source, path, CHAT_UNTIL_VARIABLES, { boolean: true });
  if (!compiled.ok) throw new StepFailure(`${compiled.error.path}: ${compiled.error.message}`, false, 'expression_error');
  return (context) => {
    try {
      return evaluateCondition(compiled.expression, { ...context, input: context.task, history: context.transcript });
    } catch (error) {
      if (error instanceof ExpressionError) throw new StepFailure(error.message, false, error.code, error.details);
      throw error;
    }
  };
}
