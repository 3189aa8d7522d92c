import { stateMachine } from '@baton/common';
import type { NodeStatus } from './node.types.js';

/** The statuses stored in `worker_nodes` (`offline` is derived from a silent heartbeat, never stored). */
export type StoredNodeStatus = Exclude<NodeStatus, 'offline'>;

/**
 * The worker node state machine. Every UPDATE guarded by a node's status uses one of
 * `NODE_MOVES` (or `LIVE_NODE_STATUSES`), derived from this table.
 *
 *   active → draining → removed;  active → removed;  draining → draining (draining twice is one drain)
 */
export const NODE_MACHINE = stateMachine<StoredNodeStatus>({
  active: ['draining', 'removed'],
  draining: ['draining', 'removed'],
  removed: [],
});

export const NODE_MOVES = {
  /** It takes no new jobs; the ones it holds finish. */
  drain: { from: NODE_MACHINE.guard('draining'), to: 'draining' },
  /** Deregistered: its token stops working. */
  remove: { from: NODE_MACHINE.guard('removed'), to: 'removed' },
} as const satisfies Record<string, { from: readonly StoredNodeStatus[]; to: StoredNodeStatus }>;

/** Nodes not removed: they may be configured, listed and authenticated. */
export const LIVE_NODE_STATUSES: readonly StoredNodeStatus[] = NODE_MOVES.remove.from;
