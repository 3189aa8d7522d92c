import { compileExpression, type CompiledExpression } from './compile-expression.js';
import { evaluateCondition, evaluateExpression, ExpressionError } from './evaluate-expression.js';
import { CORE_VARIABLES } from './cel-environment.js';

const CORE = [...CORE_VARIABLES];

function compiled(source: string, declared: readonly string[] = CORE): CompiledExpression {
  const result = compileExpression(source, 'steps[0].when', declared);
  if (!result.ok) throw new Error(`did not compile: ${result.error.message}`);
  return result.expression;
}

function errorOf(source: string, declared: readonly string[] = CORE, path = 'steps[2].when'): string {
  const result = compileExpression(source, path, declared, { boolean: true });
  if (result.ok) throw new Error(`${source} compiled`);
  return `${result.error.path}: ${result.error.message}`;
}

describe('compileExpression', () => {
  it('names an undeclared reference with its path', () => {
    expect(errorOf('stepz.review.output.ok')).toBe("steps[2].when: undeclared reference to 'stepz'");
  });

  it('reports a syntax error with its column', () => {
    expect(errorOf('input.x ==')).toMatch(/^steps\[2\]\.when: syntax error: .* at column \d+$/);
  });

  it('reports a type error', () => {
    expect(errorOf('1 + "a" == 2')).toMatch(/^steps\[2\]\.when: type error: no such overload/);
  });

  it('refuses a condition that cannot be a bool', () => {
    expect(errorOf('"yes"')).toBe('steps[2].when: must be a condition (bool), but its type is string');
  });

  it('refuses empty and over-long sources', () => {
    expect(errorOf('  ')).toBe('steps[2].when: must not be empty');
    expect(errorOf(`${'input.a && '.repeat(300)}true`)).toMatch(/must be at most 2048 characters/);
  });

  it('refuses an expression deeper than the structural limit', () => {
    expect(errorOf(`${'('.repeat(60)}true${')'.repeat(60)}`)).toMatch(/^steps\[2\]\.when: syntax error/);
  });

  it('accepts extension variables only where they are declared', () => {
    expect(errorOf('turn > 3')).toBe("steps[2].when: undeclared reference to 'turn'");
    expect(compileExpression('turn > 3 && history.size() > 0', 'p', [...CORE, 'turn', 'history']).ok).toBe(true);
  });

  it('lists the step ids it references', () => {
    expect(compiled('steps.a.output.ok && steps["b"].status == "completed" && input.c').stepRefs).toEqual(['a', 'b']);
  });
});

describe('evaluateExpression', () => {
  const context = {
    input: { n: 3, tags: ['x', 'y'] },
    steps: { review: { output: { score: 0.9, approved: true }, status: 'completed', iterations: [{ score: 0.4 }, { score: 0.9 }] } },
    run: { id: 'r1' },
    iteration: 2,
  };

  it('evaluates against step outputs, statuses, iterations and input', () => {
    expect(evaluateCondition(compiled('steps.review.output.score >= 0.8 && steps.review.status == "completed"'), context)).toBe(true);
    expect(evaluateCondition(compiled('input.n == 3 && "y" in input.tags && iteration < 3'), context)).toBe(true);
    expect(evaluateExpression(compiled('steps.review.iterations.map(i, i.score)'), context)).toEqual([0.4, 0.9]);
    expect(evaluateExpression(compiled('size(input.tags) + iteration'), context)).toBe(4);
  });

  it('turns a missing key into a non-retryable error naming the path', () => {
    let caught: unknown;
    try {
      evaluateCondition(compiled('steps.nothere.output.ok'), context);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).retryable).toBe(false);
    expect((caught as ExpressionError).message).toMatch(/^steps\[0\]\.when: .*nothere/);
  });

  it('refuses a condition that is not a boolean at run time', () => {
    expect(() => evaluateCondition(compiled('input.n'), context)).toThrow(/must evaluate to true or false, got 3/);
  });

  it('stops an evaluation that runs too long', () => {
    const big = { input: { list: Array.from({ length: 4000 }, (_, i) => i) } };
    expect(() => evaluateExpression(compiled('input.list.map(x, input.list.map(y, x * y)).size()'), big)).toThrow(/took longer than/);
  });

  it('refuses a result larger than the size limit', () => {
    const big = { input: { list: Array.from({ length: 3000 }, (_, i) => `item-${i}-padding-padding`) } };
    expect(() => evaluateExpression(compiled('input.list.map(x, x + x + x)'), big)).toThrow(/result is \d+ bytes/);
  });

  it('does not reach object prototypes', () => {
    expect(() => evaluateExpression(compiled('input.constructor'), context)).toThrow(ExpressionError);
  });
});
