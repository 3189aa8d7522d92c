import http from 'node:http';

/**
 * A lean Server-Sent Events client for the streaming scenario (node:http, one socket each):
 * it counts frames and, for each event created after the stream opened, records the delivery
 * lag `arrival - createdAt`. `createdAt` is Postgres `now()` of the writing transaction (its
 * start) and the arrival is `Date.now()` when the chunk carrying the frame arrived: the same
 * machine clock, millisecond resolution. Frames are parsed as a browser would (JSON.parse).
 */
export interface SseCounter {
  /** Date.now() when the response headers arrived. */
  openedAt: number;
  received: number;
  /** Date.now() of the last frame. */
  lastAt: number;
  /** Lags (ms) of events created at or after `openedAt`. */
  lags: number[];
  /** Resolves when the server ends the stream (or the client closed it). */
  ended: Promise<void>;
  close(): void;
}

export function openSseCounter(url: string): Promise<SseCounter> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`GET ${url}: ${response.statusCode}`));
        return;
      }
      let endResolve!: () => void;
      const counter: SseCounter = {
        openedAt: Date.now(),
        received: 0,
        lastAt: 0,
        lags: [],
        ended: new Promise<void>((r) => (endResolve = r)),
        close: () => request.destroy(),
      };
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const now = Date.now();
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const at = block.indexOf('\ndata: ');
          if (at < 0) continue; // heartbeat comment
          const event = JSON.parse(block.slice(at + 7)) as { createdAt: string };
          counter.received++;
          counter.lastAt = now;
          const created = Date.parse(event.createdAt);
          if (created >= counter.openedAt) counter.lags.push(now - created);
        }
      });
      response.on('end', endResolve);
      response.on('close', endResolve);
      resolve(counter);
    });
    request.on('error', reject);
  });
}

/** p50, p99 and max of many lags, sorted once as doubles. */
export function lagFigures(lags: number[]): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(lags).sort();
  const at = (p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
  return { p50: at(50), p99: at(99), max: sorted.length ? sorted[sorted.length - 1]! : NaN };
}
