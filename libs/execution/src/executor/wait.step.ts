import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { renderTemplate, type WaitSpec } from '@baton/definitions';
import { EventWaitService, ExternalEventsService, type EventWait } from '@baton/messaging';
import { RunQueryService, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { StepFailure } from './step-failure.js';
import { REPORTED, type StepKind, type StepOutcome, type StepRun } from './step-kind.js';

/** Thrown inside the park transaction when the lease was lost: rolls the wait back too. */
class LeaseLost extends Error {}

/**
 * `type: wait` (issue 14): the step registers its wait and, in the same transaction, either
 * finds a matching event already stored since `since` or parks (`waiting`, slot released).
 * The transaction that later stores a matching event, or times the wait out, wakes the step
 * (`EventWaitService`); the woken claim lands here again and reads the outcome. Registering is
 * idempotent, so a step re-claimed after a crash simply finds its wait.
 */
@Injectable()
export class WaitStep implements StepKind {
  readonly types = ['wait'] as const;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventWaitService) private readonly waits: EventWaitService,
    @Inject(ExternalEventsService) private readonly events: ExternalEventsService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  async run(run: StepRun): Promise<StepOutcome> {
    await this.waitFor(run);
    return REPORTED;
  }

  private async waitFor({ step, spec, context }: StepRun): Promise<void> {
    const wait = spec.wait!;
    const match = renderTemplate(wait.match, context);
    if (match === null || typeof match !== 'object' || Array.isArray(match)) {
      throw new StepFailure('match must render to an object', false, 'bad_match');
    }
    const since = await this.since(step, wait);
    let outcome: EventWait;
    try {
      outcome = await this.db.transaction(async (tx) => {
        const registered = await this.waits.waitFor(
          {
            runId: step.runId,
            stepKey: step.key,
            event: wait.event,
            match: match as Record<string, unknown>,
            // A CEL `match` sees the event and the run's data as they are when the wait starts.
            ...(wait.condition !== undefined && { condition: { source: wait.condition, context: { input: context.input, steps: context.steps } } }),
            since,
            ...(spec.timeoutSeconds !== undefined && { timeoutSeconds: spec.timeoutSeconds }),
            reopen: step.wakeReason === null,
          },
          tx,
        );
        if (registered.status !== 'waiting') return registered;
        const data = { event: wait.event, match: wait.condition ?? match, since: since.toISOString(), expiresAt: registered.expiresAt };
        if (!(await this.transitions.waitForEvent(step, data, tx))) throw new LeaseLost();
        return registered;
      });
    } catch (error) {
      if (error instanceof LeaseLost) return; // whoever holds the step now registers it again
      throw error;
    }
    if (outcome.status === 'waiting') return; // parked until an event or the deadline wakes it
    if (outcome.status === 'matched') {
      const event = await this.events.get(outcome.eventId!);
      // The event as `GET /api/v1/events/external` shows it: `id` is the caller's id (key).
      const output = { id: event.key, event_id: event.id, name: event.name, data: event.data, source: event.source, created_at: event.createdAt.toISOString() };
      await this.transitions.complete(step, output, { input: { event: wait.event, match } });
      return;
    }
    const message = `no ${wait.event} event matched within ${spec.timeoutSeconds} s`;
    if (wait.onTimeout === 'continue') {
      await this.transitions.complete(step, { timed_out: true, event: null }, { input: { event: wait.event, match } });
    } else if (wait.onTimeout === 'skip') {
      await this.transitions.skip(step, { message, code: 'wait_timeout', retryable: false, attempt: step.attempt });
    } else {
      throw new StepFailure(message, false, 'wait_timeout', { event: wait.event });
    }
  }

  /** Events count from the run's creation, or from when this step became ready. */
  private async since(step: ClaimedStep, wait: WaitSpec): Promise<Date> {
    if (wait.since === 'run_start') return (await this.runs.getRun(step.runId)).createdAt;
    const stored = (await this.runs.get(step.runId)).steps.find((s) => s.key === step.key);
    // queued_at moves when a step is re-queued (a recovered lease); the first claim does not.
    const times = [stored?.queuedAt, stored?.startedAt].filter((t): t is Date => t instanceof Date);
    return times.length > 0 ? new Date(Math.min(...times.map((t) => t.getTime()))) : new Date();
  }
}
