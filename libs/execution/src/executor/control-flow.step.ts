import { Inject, Injectable } from '@nestjs/common';
import {
  compileExpression,
  evaluateCondition,
  ExpressionError,
  UNTIL_VARIABLES,
  WHEN_VARIABLES,
  type CompiledExpression,
  type ExpressionContext,
  type StepSpec,
  type TemplateContext,
} from '@baton/definitions';
import { RunQueryService, StepIterationsService, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { nextAfterIteration, skippedByUpstream } from './control-flow.js';
import type { FinishIteration } from './step-kind.js';

/** Compiled programs kept per (path, source); definitions are immutable, so entries never go stale. */
const COMPILED_LIMIT = 2000;

/**
 * Control flow around a step's own work, whatever its kind: the template context it sees,
 * `when` (and skips that propagate from upstream condition skips) before it, `loop.until`
 * after each iteration. So it wraps every step kind rather than being one. Conditions were compiled
 * when the definition was stored; a failure here (no such key, wrong type, too slow) is an
 * ExpressionError, which fails the step without retries.
 */
@Injectable()
export class ControlFlowStep {
  private readonly compiled = new Map<string, CompiledExpression>();

  constructor(
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(StepIterationsService) private readonly iterations: StepIterationsService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  /**
   * What the step's kind runs with: its template context and, for a loop, where an iteration's
   * result goes. Null when a condition skipped the step (already reported).
   */
  async enter(step: ClaimedStep, spec: StepSpec): Promise<{ context: TemplateContext; finishIteration?: FinishIteration } | null> {
    const context = await this.templateContext(step, spec);
    if (await this.skipped(step, spec, context)) return null;
    if (!spec.loop) return { context };
    return { context, finishIteration: (result) => this.afterIteration(step, spec, context, result) };
  }

  /**
   * Decides, once the dependencies are settled and before anything else, whether the step
   * runs. True when it was skipped (and reported). Evaluated on every claim, woken and
   * recovered ones included (a crash may have come between the claim and the skip): the
   * upstream is settled, so the answer is the same each time. A loop past its first
   * iteration was already let through.
   */
  private async skipped(step: ClaimedStep, spec: StepSpec, context: TemplateContext): Promise<boolean> {
    if ((step.iteration ?? 1) > 1) return false;
    if (skippedByUpstream(spec.dependsOn, context.steps)) {
      await this.transitions.skipByCondition(step, { propagated: true });
      return true;
    }
    if (spec.when === undefined) return false;
    const when = this.compile(spec.when, `steps.${spec.id}.when`, WHEN_VARIABLES);
    if (evaluateCondition(when, celContext(context))) return false;
    await this.transitions.skipByCondition(step, { condition: spec.when, propagated: false });
    return true;
  }

  /**
   * A looping step finished an iteration with `output`: evaluate `until` (seeing this
   * output as `steps.<id>.output` and all outputs so far as `steps.<id>.iterations`), then
   * queue the next iteration or end the step, in one transaction.
   */
  private async afterIteration(step: ClaimedStep, spec: StepSpec, context: TemplateContext, result: { input: unknown; output: unknown }): Promise<void> {
    const loop = spec.loop!;
    const iteration = step.iteration ?? 1;
    const previous = (context.steps[spec.id]?.iterations ?? []).slice(0, iteration - 1);
    const self = { output: result.output, status: 'running', iterations: [...previous, result.output] };
    const until = this.compile(loop.until, `steps.${spec.id}.loop.until`, UNTIL_VARIABLES);
    const done = evaluateCondition(until, celContext({ ...context, steps: { ...context.steps, [spec.id]: self } }, iteration));
    await this.iterations.finishIteration(step, result, nextAfterIteration(loop, iteration, done, step.attempt));
  }

  private async templateContext(step: ClaimedStep, spec: StepSpec): Promise<TemplateContext> {
    // A looping step also reads itself: its earlier iterations' outputs.
    const keys = [...new Set([...spec.dependsOn, ...spec.references, ...(spec.loop ? [spec.id] : [])])];
    // The claim read the dependencies with the step; only what it did not read is read here.
    const read = step.upstream ?? {};
    const steps: TemplateContext['steps'] = {};
    const missing: string[] = [];
    for (const key of keys) {
      if (Object.hasOwn(read, key)) steps[key] = read[key];
      else missing.push(key);
    }
    if (missing.length > 0) for (const [key, upstream] of await this.runs.upstreamOutputs(step.runId, missing)) steps[key] = upstream;
    const context: TemplateContext = { input: step.runInput, steps, run: { id: step.runId } };
    if (step.iteration !== null) context.iteration = step.iteration;
    return context;
  }

  private compile(source: string, path: string, declared: readonly string[]): CompiledExpression {
    const key = `${path}\u0000${source}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      const result = compileExpression(source, path, declared);
      if (!result.ok) throw new ExpressionError(`${path}: ${result.error.message}`, { path, expression: source });
      compiled = result.expression;
      if (this.compiled.size >= COMPILED_LIMIT) this.compiled.clear();
      this.compiled.set(key, compiled);
    }
    return compiled;
  }
}

/** What CEL sees: the template context, with each step as `{ output, status, iterations? }`. */
function celContext(context: TemplateContext, iteration?: number): ExpressionContext {
  const steps: NonNullable<ExpressionContext['steps']> = {};
  for (const [id, step] of Object.entries(context.steps)) {
    if (!step) continue;
    steps[id] = step.iterations ? { output: step.output, status: step.status, iterations: step.iterations } : { output: step.output, status: step.status };
  }
  const result: ExpressionContext = { input: context.input, steps, run: context.run };
  if (iteration !== undefined) result.iteration = iteration;
  return result;
}
