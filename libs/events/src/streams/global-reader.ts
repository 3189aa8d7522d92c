import type { EventLogRepository } from '../event-log.repository.js';
import type { ReadResult, StreamItem, StreamReader } from './stream-reader.js';

/**
 * Every run's events in global order after a position, optionally only some types. Filtered
 * events still move the cursor; a client resuming from its last id reads and drops them again.
 */
export class GlobalReader implements StreamReader {
  readonly retryWhenEmpty = true;
  readonly done = false;
  readonly lingering = false;

  constructor(
    private readonly log: EventLogRepository,
    private position: string | null,
    private readonly types: ReadonlySet<string> | null,
  ) {}

  wants(): boolean {
    return true;
  }

  async read(limit: number): Promise<ReadResult> {
    const events = await this.log.listGlobalAfter(this.position, limit);
    if (events.length > 0) this.position = events[events.length - 1]!.position;
    const items: StreamItem[] = events
      .filter((event) => !this.types || this.types.has(event.type))
      .map((event) => ({ id: event.position, event }));
    return { items, more: events.length === limit };
  }
}
