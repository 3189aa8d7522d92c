import type { PatternSpec } from './pattern.types.js';

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

export type StepType = 'agent' | 'orchestration' | 'checkpoint' | 'pattern' | 'wait';

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
  /** Who may decide (issue 13): OIDC groups, and users by subject, email or `token:<name>`; absent: anyone holding approval.decide. */
  approvers?: { groups: string[]; users: string[] };
  /** False: the person (or token) that submitted the run may not approve it. Default true. */
  selfApproval?: boolean;
  /** Distinct approvals needed before the step goes on; one reject rejects. Default 1. */
  minApprovals?: number;
}

/** `loop` on a step: it runs again, one durable iteration at a time, until `until` holds. */
export interface LoopSpec {
  /** CEL over `input`, `steps`, `run`, `iteration` (the one just finished). */
  until: string;
  maxIterations: number;
  /** What reaching `maxIterations` without `until` does: fail the step, or complete it with the last output. */
  onMax: 'fail' | 'complete';
}

/**
 * `type: wait` (issue 14): park until an event named `event` whose data contains `match`
 * (rendered as a template over the run's data first) arrives, or `timeoutSeconds` pass.
 */
export interface WaitSpec {
  event: string;
  /** JSON object (may hold `{{ ... }}` templates) the event's data must contain; {} matches any. */
  match: Record<string, unknown>;
  /** `match` written as a CEL condition over `event`, `input` and `steps` (instead of an object). */
  condition?: string;
  /** What a timeout does: fail the step, skip it (output null), or complete it with `{ timed_out: true }`. */
  onTimeout: 'fail' | 'skip' | 'continue';
  /** Which events count: stored since the run started (default) or since the step became ready. */
  since: 'run_start' | 'step_ready';
}

/**
 * `triggers: [{ event, match?, when?, input? }]` on a definition: each stored event named `event`
 * whose data contains `match` starts one run with `input` rendered over the event
 * (`{{ input.data.x }}`; default: the event's data).
 */
export interface TriggerSpec {
  event: string;
  match: Record<string, unknown>;
  /** A CEL condition over `event` that must also hold. */
  when?: string;
  input?: unknown;
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
  /** CEL condition evaluated once the dependencies are settled; false skips the step (`skip_reason: condition`). */
  when?: string;
  /** Repeat the step until a CEL condition holds. */
  loop?: LoopSpec;
  /** For `type: orchestration` instead of `definition`: a template yielding a definition body written at run time. */
  plan?: string;
  /** For `type: pattern`: the team and how it passes the work around. */
  pattern?: PatternSpec;
  /** For `type: wait`: the event to wait for (`timeoutSeconds` is the wait's deadline). */
  wait?: WaitSpec;
  /** Step ids referenced by this step's templates and expressions (upstream of it, or itself in a loop). */
  references: string[];
  /** For a `worker` agent: what the node that takes the step must have (labels equal, resources free). */
  node?: NodeSelectorSpec;
  /** Saga compensation (issue 12): how to undo this step once it completed, when the run rolls back. */
  compensate?: CompensateSpec;
}

/**
 * A step's `compensate:` block: an agent call that undoes the step. `input` is a template
 * that also sees `step.input` and `step.output` (the compensated step's own).
 */
export interface CompensateSpec {
  agent?: string;
  capability?: string;
  input?: unknown;
  timeoutSeconds?: number;
  /** Attempts in all (`retry.max_attempts`), at least 1. */
  maxAttempts: number;
  /** First retry delay in ms (`retry.backoff.initial_ms`... kept simple: doubling, capped at 30 s). */
  initialDelayMs: number;
}

/** `orchestration.error_handling.rollback`: what a failed run does with its completed steps. */
export interface RollbackSpec {
  onFailure: 'compensate' | 'none';
  /** Bounds the whole rollback (`timeout_seconds`); SAGA_COMPENSATION_TIMEOUT_SECONDS when absent. */
  timeoutSeconds?: number;
}

/** A step's `node:` (docs/nodes.md, node selection). */
export interface NodeSelectorSpec {
  labels: Record<string, string>;
  resources: Record<string, number>;
}

/** A budget limit, named as users write it (and as errors and events name it). */
export type BudgetLimit = 'max_steps' | 'max_turns' | 'max_tokens' | 'max_cost' | 'max_wall_seconds';

/** What happens when a run tree goes past a limit. */
export type BudgetOnExceed = 'fail' | 'pause' | 'ask';

/** `budget:` on a definition or a run request: limits for the whole run tree. */
export interface BudgetSpec {
  limits: Partial<Record<BudgetLimit, number>>;
  onExceed: BudgetOnExceed;
}

export interface ExecutionSettings {
  /** Undefined when the definition does not set it (the run falls back to configuration). */
  maxParallel?: number;
  /** Which key it came from: `concurrency.maxParallel`, `maxParallel` or `max_parallel`. */
  maxParallelKey?: string;
  errorHandling: FailurePolicy;
  caching: CachePolicy & { steps: Record<string, Partial<CachePolicy>> };
  /** `orchestration.error_handling.rollback` (other keys than `on_failure` are kept as hints). */
  rollback?: RollbackSpec | Record<string, unknown>;
  /** The definition's `budget`, when it has one (issue 9). */
  budget?: BudgetSpec;
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
