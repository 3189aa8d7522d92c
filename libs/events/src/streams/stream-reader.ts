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

/**
 * Encodings of an item, computed once and shared by every client the same item object goes
 * to (the global tail hands one object to all its subscribers). Keyed weakly: an item that
 * left the ring and every client's hands is collected with its encodings.
 */
const encodings = new WeakMap<StreamItem, Map<string, string>>();

/** `JSON.stringify(presentStreamEvent(item))`, once per item object. */
export function presentedJson(item: StreamItem): string {
  return encodedOnce(item, 'json', () => JSON.stringify(presentStreamEvent(item)));
}

/** A door's encoding of an item (an SSE frame, a WebSocket message), once per item and kind. */
export function encodedOnce(item: StreamItem, kind: string, encode: () => string): string {
  let cached = encodings.get(item);
  if (!cached) encodings.set(item, (cached = new Map()));
  let value = cached.get(kind);
  if (value === undefined) cached.set(kind, (value = encode()));
  return value;
}
