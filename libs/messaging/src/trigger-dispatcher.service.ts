import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { isDatabaseUnavailable } from '@baton/db';
import { OrchestrationDefinitionService, renderTemplate, triggersOf, type Definition } from '@baton/definitions';
import { OrchestrationRunFactoryService } from '@baton/runs';
import { WorkLoop } from '@baton/work';
import { conditionHolds } from './event-condition.js';
import { jsonContains } from './json-contains.js';
import type { ExternalEvent } from './message.types.js';
import { TriggerRepository } from './trigger.repository.js';

const BATCH = 50;

/**
 * Runs started by events (issue 14). Every stored event is checked once against the
 * `triggers` of the latest saved definitions; each matching trigger starts one run with the
 * idempotency key `trigger:<event key>:<definition>#<index>`. That key, not a lock, is what
 * makes it exactly one run per event and trigger: two instances checking one event, or a
 * crash between starting the run and marking the event checked, find the first run again.
 */
@Injectable()
export class TriggerDispatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventTriggers');
  private readonly loop: WorkLoop;

  constructor(
    @Inject(TriggerRepository) private readonly triggers: TriggerRepository,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
  ) {
    this.loop = new WorkLoop({
      name: 'event-triggers',
      round: () => this.round(),
      // Woken after commit on the instance that stored the event; the poll catches the others'.
      pollMs: 1_000,
      // A burst of events folds into one round (on PGlite every query shares one connection).
      coalesceMs: 20,
      onError: (error) => this.logger.warn(`trigger round failed: ${(error as Error).message}`),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** An event was stored on this instance (after commit): check it now rather than at the poll. */
  wake(): void {
    this.loop.wake();
  }

  async round(): Promise<boolean> {
    const events = await this.triggers.unchecked(BATCH);
    for (const event of events) {
      await this.dispatch(event);
      await this.triggers.markChecked(event.id);
    }
    return events.length === BATCH;
  }

  private async dispatch(event: ExternalEvent): Promise<void> {
    const definitions = await this.definitions.triggeredBy(event.name);
    for (const definition of definitions) {
      const triggers = triggersOf(definition.body);
      for (const [index, trigger] of triggers.entries()) {
        if (trigger.event !== event.name || !jsonContains(event.data, trigger.match)) continue;
        const view = { id: event.key, name: event.name, data: event.data, source: event.source };
        if (trigger.when !== undefined && !conditionHolds(trigger.when, `triggers[${index}].when`, view)) continue;
        await this.start(event, definition, index, trigger.input);
      }
    }
  }

  private async start(event: ExternalEvent, definition: Definition, index: number, template: unknown): Promise<void> {
    const triggerKey = `${definition.owner ? `${definition.owner}/` : ''}${definition.name}#${index}`;
    const presented = { id: event.key, name: event.name, data: event.data, source: event.source };
    try {
      const input = template === undefined ? event.data : renderTemplate(template, { input: presented, steps: {} });
      const { run } = await this.factory.create({
        definition: { name: definition.name, version: definition.version, owner: definition.owner },
        input,
        idempotencyKey: `trigger:${event.key}:${triggerKey}`,
        metadata: { trigger: { event: event.name, event_id: event.key, trigger: triggerKey } },
      });
      await this.triggers.recordRun(event.id, triggerKey, run.id);
    } catch (error) {
      // A refused run (bad input, Baton not admitting runs) is logged and not retried, so one
      // bad event cannot block the rest; a database outage is retried: the event stays unchecked.
      if (isDatabaseUnavailable(error)) throw error;
      const reason = error instanceof BatonError ? error.message : (error as Error)?.message;
      this.logger.warn(`trigger ${triggerKey} did not start a run for event ${event.key}: ${reason}`);
    }
  }
}
