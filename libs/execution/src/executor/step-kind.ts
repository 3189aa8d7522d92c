import type { Definition, StepSpec, TemplateContext } from '@baton/definitions';
import type { CacheOutcome, ClaimedStep } from '@baton/runs';

/** A looping step's iteration is over: the loop decides whether another one follows. */
export type FinishIteration = (result: { input: unknown; output: unknown }) => Promise<void>;

/** Everything a step kind gets for one claim, after admission and control flow let it run. */
export interface StepRun {
  readonly step: ClaimedStep;
  readonly spec: StepSpec;
  readonly definition: Definition;
  /** What templates see: the run input, upstream outputs, the iteration. */
  readonly context: TemplateContext;
  /** Aborted when the run stopped, the lease was lost or the process is shutting down. */
  readonly signal: AbortSignal;
  /** Set for a `loop` step: report an iteration's result here instead of completing the step. */
  readonly finishIteration?: FinishIteration;
}

/**
 * How a kind's run ended. Most kinds report their own transition (parked, waiting, completed
 * in the same transaction as their own rows); an agent step hands its result back so the
 * executor can batch the completion or finish a loop iteration.
 */
export type StepOutcome =
  | { readonly status: 'reported' }
  | { readonly status: 'done'; readonly output: unknown; readonly input: unknown; readonly cache: CacheOutcome };

export const REPORTED: StepOutcome = { status: 'reported' };

/**
 * One kind of step (`type:` in a definition). A new kind is a class implementing this, listed
 * in `STEP_KINDS` in execution.module.ts; the executor finds it by the step's type. Throwing
 * is how a kind fails: the executor's failure policy (retry, skip, escalate) takes it from there.
 */
export interface StepKind {
  /** The definition `type` values this kind runs; each type belongs to exactly one kind. */
  readonly types: readonly string[];
  run(run: StepRun): Promise<StepOutcome>;
}
