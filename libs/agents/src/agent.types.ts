/** What the execution layer needs to call an agent, whatever kind it is. */

/** `worker`: served by worker nodes that pull jobs (libs/nodes), not called by Baton. */
export type AgentKind = 'http' | 'a2a' | 'builtin' | 'worker';

export interface Agent {
  id: string;
  name: string;
  kind: AgentKind;
  url?: string;
  capabilities: string[];
  maxConcurrency?: number;
  timeoutSeconds?: number;
  headers: Record<string, string>;
  /**
   * Headers whose stored value cannot be decrypted (BATON_SECRET_KEY unset or changed): they
   * are not in `headers`, and a call to the agent fails (`secret_unavailable`) rather than go
   * without its credentials.
   */
  unreadableHeaders?: string[];
  /**
   * Origins (`https://host:port`) besides the origin of `url` that may receive `headers`,
   * e.g. the endpoint an A2A card names on another host. Absent means none.
   */
  trustedOrigins?: string[];
  /** This agent's circuit breaker settings; absent fields take the defaults (issue 12). */
  breaker?: BreakerSettings;
  createdAt: Date;
  updatedAt: Date;
}

/** Per-agent circuit breaker settings, as registered (`breaker: { failure_threshold, ... }`). */
export interface BreakerSettings {
  /** Consecutive retryable failures that open the breaker (default CIRCUIT_BREAKER_FAILURE_THRESHOLD). */
  failureThreshold?: number;
  /** Seconds an open breaker waits before it lets a probe through (half-open; default 30). */
  resetSeconds?: number;
  /** Calls at once while half-open (default 1). */
  halfOpenMaxCalls?: number;
}

/** Who is calling and why: passed to every agent call, useful for logs and idempotency. */
export interface InvocationContext {
  runId: string;
  stepId: string;
  stepKey: string;
  attempt: number;
  /** Position within a `for_each` fan-out. */
  itemIndex?: number;
  prompt?: string;
  /**
   * An answer to a remote agent that asked for input (A2A INPUT_REQUIRED): the call
   * continues that agent's task with `data` instead of starting a new one.
   */
  reply?: { taskId: string; contextId: string; data: unknown; messageId: string };
  /**
   * Receives usage a client finds outside the output (an A2A task's `metadata.usage`), for
   * budgets; an output's own `usage` field is read by the caller.
   */
  onUsage?: (usage: unknown) => void;
  /** The call's time budget, set by the router (a worker job expires after it, even while its step is parked). */
  timeoutMs?: number;
  /** For `worker` agents: the labels and free resources a node needs to take this step. */
  node?: NodeSelector;
}

/** What a step asks of the worker node that runs it (`node:` in a step). */
export interface NodeSelector {
  /** Every one must equal the node's label of that name. */
  labels: Record<string, string>;
  /** Amounts the node must have free (its reported resources minus its jobs' reservations). */
  resources: Record<string, number>;
}

export interface AgentRef {
  agent?: string;
  capability?: string;
}

/**
 * A failed agent call. `retryable` is false for failures that will not get better by
 * trying again (HTTP 4xx, invalid output, unknown agent).
 */
export class AgentCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string = retryable ? 'agent_error' : 'agent_rejected',
    readonly status?: number,
    /** Machine-readable context (for `input_required`: the remote task and its question). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AgentCallError';
  }
}

/** One way of talking to agents (HTTP, A2A, built-in). */
export interface AgentClient {
  readonly kind: AgentKind;
  invoke(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown>;
}
