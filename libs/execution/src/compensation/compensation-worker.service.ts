import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { AgentModeRouterService } from '@baton/agents';
import { BatonConfig } from '@baton/common';
import { Database, isDatabaseUnavailable } from '@baton/db';
import { renderTemplate, type TemplateContext } from '@baton/definitions';
import { COMPENSATION_AVAILABLE_EVENT, COMPENSATION_CHANNEL, RunCompensationService, type ClaimedCompensation } from '@baton/runs';
import { WorkLoop } from '@baton/work';
import { toStepError } from '../executor/step-failure.js';

/** Compensations in flight per instance, per round. */
const CLAIM_BATCH = 4;
/** A compensation without `timeout_seconds` gets this long per attempt. */
const DEFAULT_TIMEOUT_SECONDS = 60;

/**
 * Runs saga compensations (issue 12): claims the ready ones (their dependents' compensations
 * finished), renders `compensate.input` (which also sees `step.input` and `step.output`),
 * calls the agent and records the outcome. The lease outlasts the call's timeout, so it needs
 * no renewal; if this process dies, the lease expires and another instance runs the attempt
 * again, and the lease token makes sure only one of them completes it.
 */
@Injectable()
export class CompensationWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CompensationWorker');
  private loop: WorkLoop | undefined;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(RunCompensationService) private readonly compensations: RunCompensationService,
    @Inject(AgentModeRouterService) private readonly router: AgentModeRouterService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.loop = new WorkLoop({
      name: 'compensations',
      pollMs: Math.min(this.config.pollIntervalMs, 1000),
      round: () => this.round(),
      onError: (error) => {
        if (!isDatabaseUnavailable(error)) this.logger.error(`compensation round failed: ${(error as Error).message}`);
      },
    });
    this.loop.start();
    await this.loop.listen(this.db, COMPENSATION_CHANNEL, (payload) => payload !== this.config.instanceId);
  }

  /** Aborts calls in flight (their leases expire and another instance runs them) and waits for the round. */
  async onApplicationShutdown(): Promise<void> {
    for (const controller of this.inFlight) controller.abort();
    await this.loop?.stop();
  }

  @OnEvent(COMPENSATION_AVAILABLE_EVENT)
  onAvailable(): void {
    this.loop?.wake();
  }

  /** One round: claim, run every claimed compensation, report. True when more may be ready. */
  async round(): Promise<boolean> {
    const claimed = await this.compensations.claim(CLAIM_BATCH, DEFAULT_TIMEOUT_SECONDS);
    await Promise.all(claimed.map((c) => this.run(c)));
    this.loop?.dueAt(await this.compensations.nextDueAt());
    return claimed.length > 0;
  }

  private async run(c: ClaimedCompensation): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const started = Date.now();
    let input: unknown;
    try {
      input = renderInput(c);
      const ref = c.spec.agent ? { agent: c.spec.agent } : { capability: c.spec.capability };
      const output = await this.router.invoke(
        ref,
        input,
        { runId: c.runId, stepId: c.id, stepKey: c.stepKey, attempt: c.attempt },
        { signal: controller.signal, timeoutMs: (c.spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000 },
      );
      await this.compensations.complete(c, input, output, Date.now() - started);
    } catch (error) {
      if (controller.signal.aborted || isDatabaseUnavailable(error)) return; // the lease expires; the attempt runs again
      await this.compensations.fail(c, toStepError(error, c.attempt), input);
    } finally {
      this.inFlight.delete(controller);
    }
  }
}

/** No template: the compensated step's own output is what the agent undoes. */
function renderInput(c: ClaimedCompensation): unknown {
  if (c.spec.input === undefined) return { step: c.stepKey, input: c.context.step.input, output: c.context.step.output };
  const context: TemplateContext = { input: c.context.input, steps: c.context.steps, run: { id: c.runId }, step: c.context.step };
  return renderTemplate(c.spec.input, context);
}
