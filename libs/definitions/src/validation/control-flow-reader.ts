import type { LoopSpec } from '../definition.types.js';
import { compileExpression } from '../expressions/compile-expression.js';
import type { FoundExpression } from '../template/template-scan.js';
import { parseTemplate, TemplateSyntaxError } from '../template/template-parser.js';
import { Issues, child, readInteger, readObject, readString, type Json } from './field-reader.js';
import type { ReadStep } from './step-reader.js';

/** What `when` may name: the step has not run yet, so no `iteration`, `item` or `index`. */
export const WHEN_VARIABLES = ['input', 'steps', 'run'] as const;
/** What `loop.until` may name: `iteration` is the one just finished. */
export const UNTIL_VARIABLES = ['input', 'steps', 'run', 'iteration'] as const;

const LOOP_KEYS = ['until', 'max_iterations', 'on_max'] as const;
const ON_MAX = ['fail', 'complete'] as const;
/** Most iterations a loop may ask for; a budget can stop it sooner. */
export const MAX_LOOP_ITERATIONS = 1000;

/**
 * Reads `when` and `loop` (any step type) and compiles their CEL, so a bad expression is a
 * 400 at its path. The step ids they name join the step's expressions, so the graph checks
 * see them like template references (upstream only; a loop may name itself).
 */
export function readControlFlow(obj: Json, step: ReadStep, issues: Issues): void {
  if (obj.when === undefined && obj.loop === undefined) return;
  const found: FoundExpression[] = [];
  if (obj.when !== undefined) {
    const path = child(step.path, 'when');
    const when = readString(obj, 'when', step.path, issues);
    if (when !== undefined && compile(when, path, WHEN_VARIABLES, issues, found)) step.when = when;
  }
  if (obj.loop !== undefined) step.loop = readLoop(obj.loop, child(step.path, 'loop'), step, issues, found);
  if (found.length > 0) step.expressions = [...step.expressions, ...found];
}

function readLoop(value: unknown, path: string, step: ReadStep, issues: Issues, found: FoundExpression[]): LoopSpec | undefined {
  const obj = readObject(value, path, issues, LOOP_KEYS);
  if (!obj) return undefined;
  if (step.forEach !== undefined) issues.add(path, 'cannot be combined with for_each (loop a child orchestration instead)');
  if (step.type === 'checkpoint') issues.add(path, 'is not allowed on a checkpoint step');
  const until = readString(obj, 'until', path, issues, { required: true });
  const maxIterations = readInteger(obj, 'max_iterations', path, issues);
  if (obj.max_iterations === undefined) issues.add(child(path, 'max_iterations'), 'is required (a loop must be bounded)');
  else if (maxIterations !== undefined && maxIterations > MAX_LOOP_ITERATIONS) {
    issues.add(child(path, 'max_iterations'), `must be at most ${MAX_LOOP_ITERATIONS}`);
  }
  let onMax: LoopSpec['onMax'] = 'fail';
  if (obj.on_max !== undefined) {
    if (ON_MAX.includes(obj.on_max as LoopSpec['onMax'])) onMax = obj.on_max as LoopSpec['onMax'];
    else issues.add(child(path, 'on_max'), `must be one of ${ON_MAX.join(', ')}`);
  }
  // Its step references count only for a valid loop: an invalid one must not excuse a self-reference.
  const refs: FoundExpression[] = [];
  if (until === undefined || !compile(until, child(path, 'until'), UNTIL_VARIABLES, issues, refs)) return undefined;
  if (maxIterations === undefined || maxIterations > MAX_LOOP_ITERATIONS) return undefined;
  found.push(...refs);
  return { until, maxIterations, onMax };
}

function compile(source: string, path: string, declared: readonly string[], issues: Issues, found: FoundExpression[]): boolean {
  const result = compileExpression(source, path, declared, { boolean: true });
  if (!result.ok) {
    issues.add(result.error.path, result.error.message);
    return false;
  }
  for (const stepId of result.expression.stepRefs) found.push({ path, expr: { root: 'steps', path: [stepId, 'output'], stepId } });
  return true;
}

/**
 * `plan` on an orchestration step: a single `{{ expr }}` (usually a planner's output) that
 * yields a definition body when the step runs. Validated then, with the same validator.
 */
export function readPlan(obj: Json, step: ReadStep, issues: Issues): string | undefined {
  if (obj.definition !== undefined) issues.add(child(step.path, 'definition'), 'cannot be combined with plan; give exactly one');
  const plan = readString(obj, 'plan', step.path, issues, { required: true });
  if (plan === undefined) return undefined;
  try {
    if (!parseTemplate(plan).raw) issues.add(child(step.path, 'plan'), 'must be a single {{ expression }} that yields a definition');
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    // The template scan reports the syntax error.
  }
  return plan;
}
