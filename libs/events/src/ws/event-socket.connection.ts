import type { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { BatonError } from '@baton/common';
import type { EventStreamService, EventSubscription } from '../streams/event-stream.service.js';
import type { StreamSink } from '../streams/stream-pump.js';
import { encodedOnce, presentedJson, type StreamItem } from '../streams/stream-reader.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Above this many unsent bytes a subscription waits for the socket before reading on. */
const HIGH_WATER = 1 << 20;

interface Target {
  runId: string | null;
  after: string | null;
}

/**
 * One client's socket. Client messages: `{ subscribe: { runId?, after? } }` (no runId: every
 * run, `after` a position; with runId: that run and its children, `after` a run cursor) and
 * `{ unsubscribe: { runId? } }`. Server messages: `{ event, cursor, runId }` in order per
 * subscription (`runId` null for the all-runs one), `{ end: { runId, reason } }` after a run's
 * terminal event, `{ error: { code, message, runId? } }`. One subscription per target.
 */
export class EventSocketConnection {
  private readonly subscriptions = new Map<string, EventSubscription>();
  private readonly generations = new Map<string, number>();
  private alive = true;
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly streams: EventStreamService,
    heartbeatMs: number,
    private readonly logger: Logger,
    /** Tenancy: the owner the socket's token is bound to; undefined: all owners. */
    private readonly bound?: string,
  ) {
    ws.on('message', (data) => void this.onMessage(String(data)));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.dispose());
    ws.on('error', (error) => this.logger.warn(`socket error: ${error.message}`));
    // A peer that stopped answering pings is gone; free its subscriptions.
    this.pinger = setInterval(() => {
      if (!this.alive) return void this.ws.terminate();
      this.alive = false;
      this.ws.ping();
    }, heartbeatMs);
    this.pinger.unref();
  }

  close(code: number, reason: string): void {
    this.dispose();
    this.ws.close(code, reason);
    // A peer that never answers the close frame must not hold the server's shutdown.
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }

  private dispose(): void {
    clearInterval(this.pinger);
    for (const subscription of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
  }

  private async onMessage(text: string): Promise<void> {
    let message: Record<string, unknown> | null;
    try {
      message = JSON.parse(text);
    } catch {
      return void this.send({ error: { code: 'validation', message: 'messages must be JSON' } });
    }
    const kind = message && typeof message === 'object' ? (['subscribe', 'unsubscribe'] as const).find((k) => k in message!) : undefined;
    const target = kind ? parseTarget(message![kind]) : 'expected { "subscribe": {...} } or { "unsubscribe": {...} }';
    if (typeof target === 'string') return void this.send({ error: { code: 'validation', message: target } });
    const key = target.runId ?? '*';
    // A later message for the same target supersedes one still opening.
    const generation = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, generation);
    this.subscriptions.get(key)?.close();
    this.subscriptions.delete(key);
    if (kind === 'subscribe') await this.subscribe(key, target, generation);
  }

  private async subscribe(key: string, target: Target, generation: number): Promise<void> {
    const sink = this.sinkFor(key, target.runId);
    try {
      const subscription = target.runId
        ? await this.streams.openRun(target.runId, target.after, sink, this.bound)
        : this.streams.openGlobal(target.after, null, sink, this.bound);
      if (!subscription) return sink.end('finished');
      if (this.ws.readyState !== this.ws.OPEN || this.generations.get(key) !== generation) return subscription.close();
      this.subscriptions.set(key, subscription);
    } catch (error) {
      const known = error instanceof BatonError;
      void this.send({
        error: { code: known ? error.kind : 'internal', message: known ? error.message : 'internal error', runId: target.runId },
      });
    }
  }

  private sinkFor(key: string, runId: string | null): StreamSink {
    return {
      send: (item: StreamItem) => {
        // `{ event, cursor, runId }`, encoded once per item and target: the all-runs
        // subscriptions of every socket share the global tail's item objects.
        const message = encodedOnce(
          item,
          `ws:${runId}`,
          () => `{"event":${presentedJson(item)},"cursor":${JSON.stringify(item.id)},"runId":${JSON.stringify(runId)}}`,
        );
        const sent = this.sendRaw(message);
        return this.ws.bufferedAmount > HIGH_WATER ? sent : undefined;
      },
      end: (reason) => {
        if (reason === 'closed') return;
        this.subscriptions.delete(key);
        void this.send(reason === 'finished' ? { end: { runId, reason } } : { error: { code: 'internal', message: 'stream failed; subscribe again from your cursor', runId } });
      },
    };
  }

  private send(message: unknown): Promise<void> {
    return this.sendRaw(JSON.stringify(message));
  }

  private sendRaw(text: string): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    return new Promise((resolve) => this.ws.send(text, () => resolve()));
  }
}

/** The subscription target, or a message saying what is wrong with it. */
function parseTarget(body: unknown): Target | string {
  if (body === undefined || body === null) return { runId: null, after: null };
  if (typeof body !== 'object' || Array.isArray(body)) return 'subscribe/unsubscribe must be an object';
  const { runId, after } = body as { runId?: unknown; after?: unknown };
  if (runId !== undefined && runId !== null && (typeof runId !== 'string' || !UUID.test(runId))) return 'runId must be a UUID';
  if (after !== undefined && after !== null && typeof after !== 'string' && typeof after !== 'number') return 'after must be a number or a string';
  return { runId: (runId as string | undefined) ?? null, after: after === undefined || after === null ? null : String(after) };
}
