/** Worker nodes: registration, configuration, leases and the job queue of `worker` agents. */
export { NodesModule } from './nodes.module.js';
export { NodesService, NODE_TOKEN_PREFIX } from './nodes.service.js';
export type { WorkerNode, NodeStatus } from './node.types.js';
export { JOB_MACHINE, JOB_MOVES, OPEN_JOB_STATUSES } from './job-status.js';
export { NODE_MACHINE, NODE_MOVES, type StoredNodeStatus } from './node-status.js';
