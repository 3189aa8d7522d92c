import type { RunEvent } from '../event-types.js';

/** One event for a stream client, with the cursor that resumes right after it. */
export interface StreamItem {
  /** SSE `id:` / WebSocket `cursor`: resuming from it continues after this event. */
  id: string;
  event: RunEvent;
  /** Set when the event belongs to a child run: the run that started that child. */
  parentRunId?: string;
}

export interface ReadResult {
  items: StreamItem[];
  /** A batch came back full: read again at once. */
  more: boolean;
}

/** A cursor over the log that a pump drives; see RunTreeReader and GlobalReader. */
export interface StreamReader {
  read(limit: number): Promise<ReadResult>;
  /** Whether a notification about `runId` concerns this reader. */
  wants(runId: string): boolean;
  /** Everything this stream will ever carry has been read. */
  readonly done: boolean;
  /** The stream's own run has finished; only child runs may still add events. */
  readonly lingering: boolean;
  /**
   * The global order only shows transactions older than the oldest one still running, so a
   * wake-up can find nothing yet: such readers ask to be tried again shortly.
   */
  readonly retryWhenEmpty: boolean;
}

/** The JSON a client receives for an event. */
export function presentStreamEvent(item: StreamItem): Record<string, unknown> {
  const { event } = item;
  return {
    runId: event.runId,
    seq: event.seq,
    position: event.position,
    type: event.type,
    stepKey: event.stepKey,
    data: event.data,
    createdAt: event.createdAt instanceof Date ? event.createdAt.toISOString() : event.createdAt,
    ...(item.parentRunId ? { parentRunId: item.parentRunId } : {}),
  };
}
