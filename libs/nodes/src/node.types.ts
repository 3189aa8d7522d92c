/** A registered worker node, as services see it. */
export interface WorkerNode {
  id: string;
  name: string;
  capabilities: string[];
  labels: Record<string, string>;
  resources: Record<string, unknown>;
  maxJobs: number;
  status: NodeStatus;
  config: Record<string, unknown>;
  configVersion: number;
  configAck: { version: number | null; at: Date | null; status: 'applied' | 'failed' | null; error: string | null };
  lastHeartbeatAt: Date;
  createdAt: Date;
  /** Jobs leased to the node whose lease has not run out. */
  inFlight: number;
}

/** `draining`: takes no new job, finishes its own; `removed`: its token no longer works. */
export type NodeStatus = 'active' | 'draining' | 'removed';

export type JobStatus = 'queued' | 'leased' | 'completed' | 'failed' | 'cancelled';

export interface WorkerJob {
  id: string;
  agentName: string;
  status: JobStatus;
  input: unknown;
  context: Record<string, unknown>;
  nodeId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  leases: number;
  output: unknown;
  error: { message: string; retryable: boolean } | null;
}

/** What a node registers with. */
export interface NodeRegistration {
  name: string;
  capabilities: string[];
  labels: Record<string, string>;
  resources: Record<string, unknown>;
  maxJobs: number;
}
