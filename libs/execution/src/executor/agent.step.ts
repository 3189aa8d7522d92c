import { Inject, Injectable } from '@nestjs/common';
import { AgentCallError, WORKER_PENDING, pendingWorkerJobs } from '@baton/agents';
import { renderTemplate, type StepSpec, type TemplateContext } from '@baton/definitions';
import { StepProgressService, StepTransitionsService } from '@baton/runs';
import { AgentCaller, cacheOutcome, type CallOutcome } from './agent-caller.js';
import { ItemProgress } from './item-progress.js';
import { mapWithLimit } from './map-with-limit.js';
import { StepApprovals } from './step-approvals.js';
import { StepFailure } from './step-failure.js';
import { REPORTED, type StepKind, type StepOutcome, type StepRun } from './step-kind.js';

/** Items of one for_each step in flight at once. */
const FOR_EACH_PARALLELISM = 8;

/**
 * `type: agent`: render, look in the step cache, call the agent (per item for for_each) —
 * built-ins, remote A2A agents and worker nodes alike, through `AgentCaller`. The result goes
 * back to the executor, which batches the completion (or finishes a loop iteration).
 */
@Injectable()
export class AgentStep implements StepKind {
  readonly types = ['agent'] as const;

  constructor(
    @Inject(AgentCaller) private readonly agents: AgentCaller,
    @Inject(StepProgressService) private readonly progress: StepProgressService,
    @Inject(StepApprovals) private readonly approvals: StepApprovals,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
  ) {}

  async run(run: StepRun): Promise<StepOutcome> {
    const { step, spec, definition, context, signal } = run;
    // Woken (or recovered) after a person answered a remote agent's question: continue it.
    const answered = step.wakeReason ? await this.approvals.agentReply(step) : null;
    if (answered && 'error' in answered) {
      await this.transitions.fail(step, answered.error);
      return REPORTED;
    }
    if (spec.forEach) return this.runForEach(run);
    const input = renderInput(spec, context);
    const outcome = await this.agents.call(step, spec, definition, input, signal, { prompt: renderPrompt(spec, context), reply: answered?.reply });
    return { status: 'done', output: outcome.output, input, cache: cacheOutcome(outcome) };
  }

  private async runForEach({ step, spec, definition, context, signal }: StepRun): Promise<StepOutcome> {
    const items = renderTemplate(spec.forEach, context);
    if (!Array.isArray(items)) {
      throw new StepFailure(`for_each rendered to ${items === null ? 'null' : typeof items}, not a list`, false, 'invalid_for_each');
    }
    // Which items are done, running or failed, told as events while the step runs. Items whose
    // worker jobs are still with the nodes do not stop the others from being queued; the step
    // parks on all of them at once (and is woken as each one finishes).
    const progress = new ItemProgress(items.length, (report) => this.progress.itemsProgressed(step, report));
    const pending: string[] = [];
    let results: CallOutcome[];
    try {
      results = await mapWithLimit(items, FOR_EACH_PARALLELISM, async (value, index) => {
        const item = { value, index };
        progress.started(index);
        try {
          const input = renderInput(spec, context, item);
          const outcome = await this.agents.call(step, spec, definition, input, signal, { prompt: renderPrompt(spec, context, item), itemIndex: index });
          progress.finished(index);
          return outcome;
        } catch (error) {
          const jobs = pendingWorkerJobs(error);
          if (jobs) {
            pending.push(...jobs);
            return { output: null, hits: 0, calls: 0, key: null, storedAt: null };
          }
          progress.finished(index, error);
          throw error;
        }
      });
    } catch (error) {
      await progress.close(!signal.aborted);
      throw error;
    }
    await progress.close(false);
    if (pending.length > 0) {
      throw new AgentCallError(`waiting for worker nodes to run ${pending.length} item(s)`, false, WORKER_PENDING, undefined, { jobIds: pending });
    }
    const hits = results.reduce((n, r) => n + r.hits, 0);
    const calls = results.reduce((n, r) => n + r.calls, 0);
    // The input is undefined for a for_each step: each item had its own.
    return { status: 'done', output: results.map((r) => r.output), input: undefined, cache: { key: null, hit: items.length > 0 && calls === 0, hits, storedAt: null } };
  }
}

/** No template: the run input for a root step, else the dependencies' outputs by step id. */
export function renderInput(spec: StepSpec, context: TemplateContext, item?: { value: unknown; index: number }): unknown {
  const scoped = item ? { ...context, item: item.value, index: item.index } : context;
  if (spec.input !== undefined) return renderTemplate(spec.input, scoped);
  if (item) return item.value;
  if (spec.dependsOn.length === 0) return context.input;
  return dependencyOutputs(spec, context);
}

export function dependencyOutputs(spec: StepSpec, context: TemplateContext): Record<string, unknown> {
  return Object.fromEntries(spec.dependsOn.map((dep) => [dep, context.steps[dep]?.output ?? null]));
}

function renderPrompt(spec: StepSpec, context: TemplateContext, item?: { value: unknown; index: number }): string | undefined {
  if (spec.prompt === undefined) return undefined;
  const scoped = item ? { ...context, item: item.value, index: item.index } : context;
  const text = renderTemplate(spec.prompt, scoped);
  return typeof text === 'string' ? text : JSON.stringify(text ?? '');
}
