import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { Database, isDatabaseUnavailable, type Transaction } from '@baton/db';
import { WorkLoop } from '@baton/work';
import { EventLogService } from '../event-log.service.js';
import type { EventType, RunEvent } from '../event-types.js';
import { ConsumerCursorRepository } from './consumer-cursor.repository.js';

/** A reaction to the event log that must not be lost. */
export interface ConsumerSpec {
  /** Unique and stable: the cursor row's key. */
  name: string;
  /** Only these types reach `handle` (the others still move the cursor); null: all. */
  types: ReadonlySet<EventType | string> | null;
  /** Runs in the round's transaction, with the cursor's advance: effects and position commit together. */
  handle(events: RunEvent[], tx: Transaction): Promise<void>;
  /** The safety-net poll; default the poll interval, at most 1 s. */
  pollMs?: number;
  /**
   * Of the events of a handled type appended in this process, those worth a round now; the
   * others wait for the poll (or another wake-up). Absent: all of them. A cheap in-memory
   * guess, never a filter on what `handle` gets: a wrong `false` costs latency, not an event.
   */
  wakesFor?(event: { type: string; runId?: string }): boolean;
}

export interface ConsumerRound {
  /** False when another instance holds this consumer's lock. */
  locked: boolean;
  /** Events passed to `handle`. */
  handled: number;
  /** A full batch was read: there may be more. */
  more: boolean;
}

export interface ConsumerHandle {
  /** One round now (tests, and the loop). */
  drainOnce(): Promise<ConsumerRound>;
  /** Starts a drain unless one is running (then it runs once more after). */
  wake(): void;
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

const BATCH = 500;
/** In-process events come in bursts: one drain per burst. */
const DEBOUNCE_MS = 20;

/**
 * Durable consumers of the event log (as the webhook dispatcher is): each keeps its position
 * in `event_consumer_cursors` and advances it in the transaction that performs its effects,
 * so a crash between a commit and the in-process event cannot strand the reaction. An event
 * appended in this process wakes at once every consumer that handles its type; events from
 * other instances (or from a process that died before its listeners ran) are found by the poll.
 */
@Injectable()
export class EventConsumers implements OnApplicationShutdown {
  private readonly logger = new Logger('EventConsumers');
  private readonly loops: ConsumerLoop[] = [];

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventLogService) private readonly log: EventLogService,
    @Inject(ConsumerCursorRepository) private readonly cursors: ConsumerCursorRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  /** Starts a consumer: a first round now, then on every local event and every poll interval. */
  start(spec: ConsumerSpec): ConsumerHandle {
    const loop = new ConsumerLoop(spec, this.db, this.log, this.cursors, this.logger, spec.pollMs ?? Math.min(this.config.pollIntervalMs, 1000));
    this.loops.push(loop);
    return loop;
  }

  /**
   * An event appended here wakes the consumers that handle its type. The others move their
   * cursor past it at their next round (the poll, or an event they handle): a chain's step
   * events would otherwise cost every consumer a round of about seven statements per step.
   */
  @OnEvent('orchestration.**')
  onDomainEvent(payload?: unknown): void {
    const event = payload as { type?: unknown; runId?: unknown } | undefined;
    const type = event?.type;
    if (typeof type !== 'string') {
      for (const loop of this.loops) loop.wake();
      return;
    }
    const runId = typeof event!.runId === 'string' ? event!.runId : undefined;
    for (const loop of this.loops) if (loop.handles(type) && loop.wakesFor({ type, runId })) loop.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }
}

/** One consumer: its rounds, run by a `WorkLoop` (single-flight, coalesced wake-ups, poll). */
class ConsumerLoop implements ConsumerHandle {
  private readonly loop: WorkLoop;

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly db: Database,
    private readonly log: EventLogService,
    private readonly cursors: ConsumerCursorRepository,
    logger: Logger,
    pollMs: number,
  ) {
    this.loop = new WorkLoop({
      name: spec.name,
      pollMs,
      // In-process events come in bursts: one round per burst.
      coalesceMs: DEBOUNCE_MS,
      round: async () => (await this.drainOnce()).more,
      onError: (error) => {
        if (!isDatabaseUnavailable(error)) logger.error(`consumer ${spec.name} failed: ${(error as Error).message}`);
      },
    });
    this.loop.start();
  }

  /**
   * The feed is read before the transaction (a pool of one connection must not wait on
   * itself); inside it, the cursor is checked to be where the read started, so a round that
   * raced another instance does nothing.
   */
  async drainOnce(): Promise<ConsumerRound> {
    const { name } = this.spec;
    const from = await this.cursors.read(name);
    const events = await this.log.listGlobalAfter(from, BATCH);
    if (events.length === 0) return { locked: true, handled: 0, more: false };
    return this.db.transaction(async (tx) => {
      if (!(await this.cursors.tryLock(name, tx))) return { locked: false, handled: 0, more: false };
      if ((await this.cursors.read(name, tx)) !== from) return { locked: true, handled: 0, more: true };
      const wanted = this.spec.types ? events.filter((event) => this.spec.types!.has(event.type)) : events;
      if (wanted.length > 0) await this.spec.handle(wanted, tx);
      await this.cursors.advance(name, events[events.length - 1]!.position, tx);
      return { locked: true, handled: wanted.length, more: events.length === BATCH };
    });
  }

  wake(): void {
    this.loop.wake();
  }

  /** Whether events of `type` reach this consumer's handler. */
  handles(type: string): boolean {
    return this.spec.types === null || this.spec.types.has(type);
  }

  /** Whether a local event of a handled type is worth a round now (ConsumerSpec.wakesFor). */
  wakesFor(event: { type: string; runId?: string }): boolean {
    return this.spec.wakesFor?.(event) ?? true;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
