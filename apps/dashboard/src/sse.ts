import { authHeaders, getToken } from './api';
import type { BatonEvent } from './api';

/**
 * Server-sent events read with fetch, so the token goes in the Authorization header
 * (EventSource cannot send headers, and a token in the query string lands in access logs).
 * Reconnects with Last-Event-ID like EventSource; a 204 (nothing more will come) or a 404
 * ends the stream. Frames arrive in batches, one per network read, so a page can re-render
 * once per batch instead of once per event.
 */
export interface StreamFrame {
  id: string | null;
  type: string;
  event: BatonEvent;
}

export interface StreamOptions {
  after?: string | null;
  onFrames(frames: StreamFrame[]): void;
  /** The stream is over: `ended` (204 or finished), `gone` (404), `error` (gave up). */
  onEnd?(reason: 'ended' | 'gone' | 'error'): void;
}

export interface StreamHandle {
  close(): void;
  /** The last id received: resume after it. */
  lastId(): string | null;
}

export function openStream(path: string, options: StreamOptions): StreamHandle {
  const controller = new AbortController();
  let lastId = options.after ?? null;
  let closed = false;

  const run = async (): Promise<void> => {
    let failures = 0;
    while (!closed) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders(getToken()) };
        if (lastId) headers['last-event-id'] = lastId;
        const response = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 204) return options.onEnd?.('ended');
        if (response.status === 404) return options.onEnd?.('gone');
        if (response.status === 401) {
          window.dispatchEvent(new Event('baton:unauthorized'));
          return options.onEnd?.('error');
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        failures = 0;
        await readFrames(response.body, (frames) => {
          const last = frames[frames.length - 1];
          if (last?.id) lastId = last.id;
          options.onFrames(frames);
        });
      } catch (error) {
        if (closed) return;
        failures += 1;
        if (failures > 20) return options.onEnd?.('error');
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** failures, 5000)));
      }
    }
  };
  void run();
  return {
    close() {
      closed = true;
      controller.abort();
    },
    lastId: () => lastId,
  };
}

async function readFrames(body: ReadableStream<Uint8Array>, onFrames: (frames: StreamFrame[]) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const frames: StreamFrame[] = [];
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer[end] === '\r' ? 4 : 2));
      const frame = parseFrame(block);
      if (frame) frames.push(frame);
    }
    if (frames.length > 0) onFrames(frames);
  }
}

function parseFrame(block: string): StreamFrame | null {
  let id: string | null = null;
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  try {
    return { id, type, event: JSON.parse(data.join('\n')) as BatonEvent };
  } catch {
    return null;
  }
}
