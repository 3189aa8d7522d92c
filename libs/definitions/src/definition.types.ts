/**
 * The normalized shape of a definition: what runs and execution consume. Whatever spelling
 * the submitted body used (legacy keys, snake or camel case), it has been validated and
 * resolved into this by the time anyone outside this library sees it.
 */

export interface BackoffPolicy {
  initialMs: number;
  multiplier: number;
  maxMs: number;
}

/** `orchestration.error_handling.on_step_failure`, merged with a step's `retry` overrides. */
export interface FailurePolicy {
  maxAttempts: number;
  backoff: BackoffPolicy;
  allowSkip: boolean;
  notifyHuman: boolean;
}

export interface CachePolicy {
  enabled: boolean;
  ttlSeconds: number;
}

export type StepType = 'agent' | 'orchestration' | 'checkpoint';

export interface DefinitionRef {
  name: string;
  version?: string;
  owner?: string;
}

export interface CheckpointSpec {
  prompt?: string;
  timeoutSeconds?: number;
  /** What a deadline decides: reject or approve as if a person had, or fail the step. */
  onTimeout: 'reject' | 'approve' | 'fail';
  /** Whether the decider may replace the payload (checked against `schema`). */
  allowEdit: boolean;
  schema?: Record<string, unknown>;
  /** Template for the payload to review; default: the dependencies' outputs by step id. */
  payload?: unknown;
}

export interface StepSpec {
  id: string;
  type: StepType;
  description?: string;
  /** A registered agent name or `builtin:<name>`; absent when `capability` is given. */
  agent?: string;
  /** Resolved by the agent router from the registry at run time. */
  capability?: string;
  dependsOn: string[];
  /** Input template (any JSON; strings may hold `{{ ... }}`); undefined means the default input. */
  input?: unknown;
  /** Optional text template sent alongside the data (A2A agents). */
  prompt?: string;
  timeoutSeconds?: number;
  retry: FailurePolicy;
  cache: CachePolicy;
  /** Template that must render to a list; the step runs once per item. */
  forEach?: string;
  /** For `type: orchestration`: the child definition. */
  definition?: DefinitionRef;
  /** For `type: checkpoint`: what the person is asked, and what happens if nobody answers. */
  checkpoint?: CheckpointSpec;
  /** Step ids referenced by this step's templates (all upstream of it). */
  references: string[];
}

export interface ExecutionSettings {
  /** Undefined when the definition does not set it (the run falls back to configuration). */
  maxParallel?: number;
  /** Which key it came from: `concurrency.maxParallel`, `maxParallel` or `max_parallel`. */
  maxParallelKey?: string;
  errorHandling: FailurePolicy;
  caching: CachePolicy & { steps: Record<string, Partial<CachePolicy>> };
  /** `orchestration.error_handling.rollback`, kept as hints. */
  rollback?: unknown;
  /** `orchestration.timeout_seconds`: the run's deadline after creation (issue 12). */
  timeoutSeconds?: number;
}

export type DefinitionSource = 'saved' | 'inline';

export interface Definition {
  id: string;
  owner: string;
  name: string;
  version: string;
  revision: number;
  description?: string;
  source: DefinitionSource;
  /** The body as submitted (after YAML parsing), which is what a client reads back. */
  body: Record<string, unknown>;
  contentHash: string;
  /** Steps in topological order (dependencies first). */
  steps: StepSpec[];
  execution: ExecutionSettings;
  createdAt: Date;
}

/** Lets the definitions library check agent names without depending on the agents library. */
export abstract class AgentCatalog {
  /** The names in `names` that are neither registered nor built in. */
  abstract unknownAgents(names: string[]): Promise<string[]>;
}
