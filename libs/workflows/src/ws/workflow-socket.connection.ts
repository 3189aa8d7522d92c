import type { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { EventStreamService, EventSubscription, StreamItem, StreamSink } from '@baton/events';
import { socketMessageOf, SOCKET_EVENT_TYPES, type WorkflowSocketMessage } from '../domain/socket-messages.js';

/** Above this many unsent bytes the stream waits for the socket before reading on. */
const HIGH_WATER = 1 << 20;

export interface WorkflowSocketTarget {
  workflowId: string;
  definitionId: string;
  /** The position to continue after (`cursor` of the last message received); null: from now. */
  after: string | null;
  /** Runs already linked to the workflow (its executions), read after the start is fixed. */
  executionRuns(): Promise<string[]>;
  /** On a fresh connection: the current state, sent first. */
  snapshot(): Promise<Omit<WorkflowSocketMessage, 'cursor'>>;
}

/**
 * One client of `/ws/workflows/{id}`. It follows the shared all-runs feed (exactly once, in
 * order, resumable from a position) and keeps the events of the workflow's runs: the
 * executions linked before the start, and any run that starts later (its `run.created` names
 * the workflow's definition; `workflow.execution_started` names the workflow).
 */
export class WorkflowSocketConnection {
  private subscription: EventSubscription | undefined;
  private readonly runs = new Set<string>();
  /** Runs this socket sent a phase for: a late `planning` would step back. */
  private readonly phased = new Set<string>();
  private ready: Promise<void> | undefined;
  private isReady = false;
  private alive = true;
  private closed = false;
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly streams: EventStreamService,
    private readonly target: WorkflowSocketTarget,
    heartbeatMs: number,
    private readonly logger: Logger,
  ) {
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.dispose());
    ws.on('error', (error) => this.logger.warn(`workflow socket error: ${error.message}`));
    // The protocol is server → client only; a client message gets an error, not silence.
    ws.on('message', () => void this.send(JSON.stringify({ error: { code: 'validation', message: 'this socket takes no messages: reconnect with ?after=<cursor> to resume' } })));
    this.pinger = setInterval(() => {
      if (!this.alive) return void this.ws.terminate();
      this.alive = false;
      this.ws.ping();
    }, heartbeatMs);
    this.pinger.unref();
  }

  async start(): Promise<void> {
    // Fix the start point first, then read the linked runs: a run linked before the start
    // point is in the table by then, one linked after it announces itself in the feed.
    const start = this.target.after ?? (await this.streams.headPosition());
    let release!: () => void;
    this.ready = new Promise((resolve) => (release = resolve));
    if (this.closed) return;
    this.subscription = this.streams.openGlobal(start, [...SOCKET_EVENT_TYPES], this.sink());
    try {
      for (const runId of await this.target.executionRuns()) this.runs.add(runId);
      if (this.target.after === null) await this.send(JSON.stringify({ ...(await this.target.snapshot()), cursor: start }));
    } finally {
      this.isReady = true;
      release();
    }
  }

  close(code: number, reason: string): void {
    this.dispose();
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }

  private dispose(): void {
    this.closed = true;
    clearInterval(this.pinger);
    this.subscription?.close();
  }

  private sink(): StreamSink {
    return {
      // Items wait (backpressure) until the linked runs are known and the snapshot is sent.
      send: (item: StreamItem) => (this.isReady ? this.forward(item) : this.ready!.then(() => this.forward(item))),
      end: (reason) => {
        if (reason === 'closed') return;
        void this.send(JSON.stringify({ error: { code: 'internal', message: 'stream failed; reconnect with ?after=<cursor>' } })).then(() => this.close(1011, 'stream failed'));
      },
    };
  }

  private forward(item: StreamItem): Promise<void> | undefined {
    const { event } = item;
    const data = event.data ?? {};
    if (event.type === 'run.created' && (data.definition as { id?: string } | undefined)?.id === this.target.definitionId) this.runs.add(event.runId);
    if (event.type === 'workflow.execution_started' && data.workflowId === this.target.workflowId) this.runs.add(event.runId);
    if (!this.runs.has(event.runId)) return undefined;
    const message = socketMessageOf(this.target.workflowId, event, item.id);
    if (!message) return undefined;
    if (message.type === 'workflow.status_changed') {
      // workflow.execution_started commits just after the run; the run may have started first.
      if (event.type === 'workflow.execution_started' && this.phased.has(event.runId)) return undefined;
      this.phased.add(event.runId);
    }
    const sent = this.send(JSON.stringify(message));
    return this.ws.bufferedAmount > HIGH_WATER ? sent : undefined;
  }

  private send(text: string): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    return new Promise((resolve) => this.ws.send(text, () => resolve()));
  }
}
