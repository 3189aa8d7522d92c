import type { Response } from 'express';
import type { StreamSink } from '../streams/stream-pump.js';
import { encodedOnce, presentedJson, type StreamItem } from '../streams/stream-reader.js';

/**
 * Writes a stream as Server-Sent Events on an Express response: `id`, `event`, `data`
 * frames, and a comment line as heartbeat so idle proxies keep the connection. Headers go
 * out on first use, so a request refused before (404, 400) still gets a JSON error.
 */
export class SseWriter implements StreamSink {
  private opened = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly response: Response,
    private readonly heartbeatMs: number,
    /** The stream's run: events of other runs in it are its children's (`child.<type>`). */
    private readonly runId?: string,
  ) {}

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.response.status(200);
    this.response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    this.response.setHeader('cache-control', 'no-cache');
    this.response.setHeader('connection', 'keep-alive');
    // nginx buffers responses unless told not to; a buffered stream is not a stream.
    this.response.setHeader('x-accel-buffering', 'no');
    this.response.flushHeaders();
    this.heartbeat = setInterval(() => this.response.write(': heartbeat\n\n'), this.heartbeatMs);
    this.heartbeat.unref();
    this.response.on('close', () => clearInterval(this.heartbeat));
  }

  send(item: StreamItem): void | Promise<void> {
    return this.write(this.frame(item));
  }

  /** A batch as one write: one syscall per client per batch rather than per event. */
  sendMany(items: StreamItem[]): void | Promise<void> {
    if (items.length === 0) return;
    return this.write(items.length === 1 ? this.frame(items[0]!) : items.map((item) => this.frame(item)).join(''));
  }

  private frame(item: StreamItem): string {
    const child = this.runId !== undefined && item.event.runId !== this.runId;
    const name = child ? `child.${item.event.type}` : item.event.type;
    // Built once per item and name: the global feed hands the same item to every client.
    return encodedOnce(item, `sse:${name}`, () => `id: ${item.id}\nevent: ${name}\ndata: ${presentedJson(item)}\n\n`);
  }

  private write(frames: string): void | Promise<void> {
    if (this.response.destroyed) return; // the client left; the close handler stops the pump
    this.open();
    if (this.response.write(frames)) return;
    // Backpressure: hold the pump until the socket drains (or the client has gone).
    return new Promise((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      this.response.on('drain', done);
      this.response.on('close', done);
    });
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.opened) this.open();
    if (!this.response.writableEnded) this.response.end();
  }
}
