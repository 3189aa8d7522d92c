import { BatonError } from '@baton/common';
import type { EventLogRepository } from '../event-log.repository.js';
import { TERMINAL_RUN_EVENTS, type RunEvent } from '../event-types.js';
import { childPath, formatRunCursor, type RunCursor } from './run-cursor.js';
import type { ReadResult, StreamItem, StreamReader } from './stream-reader.js';

interface RunNode {
  path: string;
  runId: string;
  parentRunId: string | undefined;
  /** Last seq delivered for this run. */
  seq: number;
  terminal: boolean;
  /** Children still open (not yet delivered completely). */
  children: RunNode[];
}

/** A retried run (`run.retried`, after `run.failed`) is no longer finished. */
const REOPENED = 'run.retried';
const TERMINAL = [...TERMINAL_RUN_EVENTS, REOPENED];

function childRunIdOf(event: RunEvent): string | undefined {
  const id = event.data?.childRunId;
  return event.type === 'step.child_started' && typeof id === 'string' ? id : undefined;
}

/**
 * Reads one run and, recursively, the child runs it starts, from a RunCursor. Each run is
 * read in `seq` order (commit order), children are discovered from the parent's own
 * `step.child_started` events, and every item carries the cursor after it: resuming from
 * any item's id yields exactly the items that followed it.
 */
export class RunTreeReader implements StreamReader {
  readonly retryWhenEmpty = false;

  private constructor(
    private readonly log: EventLogRepository,
    private readonly root: RunNode,
  ) {}

  /** Rebuilds the tree a cursor describes; 404 when the run has no log. */
  static async open(log: EventLogRepository, runId: string, cursor: RunCursor): Promise<RunTreeReader> {
    const [first] = await log.listAfter(runId, 0, 1);
    if (!first || first.type !== 'run.created') throw BatonError.notFound('run', runId);
    const root: RunNode = { path: '', runId, parentRunId: undefined, seq: cursor.root, terminal: false, children: [] };
    await RunTreeReader.restore(log, root, cursor.open);
    // Past a terminal event only a retry can follow: then the run goes on and so does the stream.
    if (root.terminal && (await log.listAfter(runId, root.seq, 1)).length > 0) root.terminal = false;
    return new RunTreeReader(log, root);
  }

  /** Marks what the cursor already covered: finished runs, and children left open. */
  private static async restore(log: EventLogRepository, node: RunNode, open: Map<string, number>): Promise<void> {
    if (node.seq === 0) return;
    for (const marker of await log.listMarkersUpTo(node.runId, node.seq, TERMINAL)) {
      if (TERMINAL_RUN_EVENTS.has(marker.type)) node.terminal = true;
      if (marker.type === REOPENED) node.terminal = false;
      const childRunId = childRunIdOf(marker);
      const path = childPath(node.path, marker.seq);
      // A started child the cursor does not list was delivered completely before it.
      if (!childRunId || !open.has(path)) continue;
      const child: RunNode = { path, runId: childRunId, parentRunId: node.runId, seq: open.get(path)!, terminal: false, children: [] };
      await RunTreeReader.restore(log, child, open);
      node.children.push(child);
    }
  }

  get done(): boolean {
    return this.root.terminal && this.root.children.length === 0;
  }

  get lingering(): boolean {
    return this.root.terminal;
  }

  wants(runId: string): boolean {
    const visit = (node: RunNode): boolean => node.runId === runId || node.children.some(visit);
    return visit(this.root);
  }

  get cursor(): string {
    const open = new Map<string, number>();
    const visit = (node: RunNode) => {
      for (const child of node.children) {
        open.set(child.path, child.seq);
        visit(child);
      }
    };
    visit(this.root);
    return formatRunCursor({ root: this.root.seq, open });
  }

  async read(limit: number): Promise<ReadResult> {
    const items: StreamItem[] = [];
    let more = false;
    // Parents before children, so a child's first event follows the event that started it.
    const queue: RunNode[] = [this.root];
    while (queue.length > 0) {
      const node = queue.shift()!;
      const events = await this.log.listAfter(node.runId, node.seq, limit);
      if (events.length === limit) more = true;
      for (const event of events) {
        node.seq = event.seq;
        if (TERMINAL_RUN_EVENTS.has(event.type)) node.terminal = true;
        if (event.type === REOPENED) node.terminal = false;
        const childRunId = childRunIdOf(event);
        if (childRunId) {
          node.children.push({ path: childPath(node.path, event.seq), runId: childRunId, parentRunId: node.runId, seq: 0, terminal: false, children: [] });
        }
        this.sweep(this.root);
        items.push({ id: this.cursor, event, parentRunId: node.parentRunId });
      }
      queue.push(...node.children);
    }
    return { items, more };
  }

  /** Drops children delivered completely, so the cursor lists only what is still open. */
  private sweep(node: RunNode): boolean {
    node.children = node.children.filter((child) => !this.sweep(child));
    return node.terminal && node.children.length === 0;
  }
}
