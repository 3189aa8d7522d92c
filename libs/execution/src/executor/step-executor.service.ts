import { Inject, Injectable } from '@nestjs/common';
import type { ClaimedStep } from '@baton/runs';
import { TelemetryService } from '@baton/telemetry';
import { ControlFlowStep } from './control-flow.step.js';
import { StepAdmission } from './step-admission.js';
import { StepKindRegistry } from './step-kind-registry.js';
import type { StepRun } from './step-kind.js';
import { StepReporter } from './step-reporter.js';

/**
 * Runs one claimed step to an outcome and reports it: admit → control flow → run its kind →
 * report. Every report carries the claim's fencing token, so a step whose lease was lost (or
 * whose run was cancelled) meanwhile is simply refused: the executor never has to decide who won.
 */
@Injectable()
export class OrchestrationStepExecutorService {
  constructor(
    @Inject(StepAdmission) private readonly admission: StepAdmission,
    @Inject(ControlFlowStep) private readonly flow: ControlFlowStep,
    @Inject(StepKindRegistry) private readonly kinds: StepKindRegistry,
    @Inject(StepReporter) private readonly reporter: StepReporter,
    @Inject(TelemetryService) private readonly telemetry: TelemetryService,
  ) {}

  /**
   * `signal` aborts the agent call (run cancelled, lease lost, shutdown). The claim is one step
   * span (issue 13), a child of the run span by the ids stored on the run: whichever instance
   * claims the step, and however late, it lands in the run's trace.
   */
  async execute(step: ClaimedStep, signal: AbortSignal): Promise<void> {
    if (!this.telemetry.enabled) return this.executeClaim(step, signal);
    const span = this.telemetry.startSpan(`step ${step.key}`, {
      parent: step.traceContext,
      attributes: {
        'baton.run_id': step.runId,
        'baton.step_id': step.id,
        'baton.step_key': step.key,
        'baton.step_type': step.type,
        'baton.attempt': step.attempt,
        ...(step.servedBy ? { 'baton.agent': step.servedBy } : {}),
        ...(step.wakeReason ? { 'baton.wake_reason': step.wakeReason } : {}),
      },
    });
    try {
      await this.telemetry.inSpan(span, () => this.executeClaim(step, signal));
    } catch (error) {
      this.telemetry.fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  private async executeClaim(step: ClaimedStep, signal: AbortSignal): Promise<void> {
    const loaded = await this.admission.load(step);
    if (!loaded) return; // not in its definition: already failed
    const { definition, spec } = loaded;
    let input: unknown;
    try {
      const kind = this.kinds.kindOf(spec.type);
      if (!(await this.admission.admit(step, loaded))) return; // denied, over budget or rejected: reported
      const entered = await this.flow.enter(step, spec);
      if (!entered) return; // skipped by a condition: reported
      const run: StepRun = { step, spec, definition, signal, ...entered };
      const outcome = await kind.run(run);
      if (outcome.status === 'reported') return;
      input = outcome.input;
      await this.reporter.completed(run, outcome);
    } catch (error) {
      // Worker jobs that finished while the step was being parked: their outcomes are read now.
      if ((await this.reporter.failed(step, spec, error, input, signal)) === 'run_again') await this.executeClaim(step, signal);
    }
  }
}
