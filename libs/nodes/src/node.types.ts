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
  /** Seconds since the last heartbeat, by the database's clock. */
  silentSeconds: number;
  createdAt: Date;
  /** Jobs leased to the node whose lease has not run out. */
  inFlight: number;
}

/**
 * `draining`: takes no new job, finishes its own; `removed`: its token no longer works;
 * `offline`: shown (never stored) for an active or draining node without a heartbeat for
 * twice its lease: its leases have run out and any node may claim its jobs.
 */
export type NodeStatus = 'active' | 'draining' | 'removed' | 'offline';

export type JobStatus = 'queued' | 'leased' | 'completed' | 'failed' | 'cancelled';

export interface WorkerJob {
  id: string;
  /** The step the job's completion wakes (null for jobs queued before steps parked). */
  stepId: string | null;
  agentName: string;
  status: JobStatus;
  input: unknown;
  context: Record<string, unknown>;
  nodeId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  leases: number;
  output: unknown;
  error: { message: string; retryable: boolean; code?: string } | null;
  /** What the step asks of the node that takes it. */
  selector: { labels: Record<string, string>; resources: Record<string, number> };
}

/** What a node registers with. */
export interface NodeRegistration {
  name: string;
  capabilities: string[];
  labels: Record<string, string>;
  resources: Record<string, unknown>;
  maxJobs: number;
}
