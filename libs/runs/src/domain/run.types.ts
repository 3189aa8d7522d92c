import type { CachePolicy, FailurePolicy } from '@baton/definitions';
import type { RunTraceContext } from '@baton/telemetry';
import type { RunStatus } from './run-status.js';
import type { StepStatus } from './step-status.js';
import type { PatternTurn } from './turn-status.js';

/** The normalized execution settings recorded on a run when it is created. */
export interface RunExecution {
  concurrency: {
    maxParallel: number;
    /** `definition` (with the key it used), `environment` (ORCHESTRATION_DEFAULT_MAX_PARALLEL) or `default`. */
    source: 'definition' | 'environment' | 'default';
    key?: string;
  };
  errorHandling: FailurePolicy;
  caching: CachePolicy & { steps: Record<string, Partial<CachePolicy>> };
  /** `orchestration.error_handling.rollback`: `onFailure: compensate` rolls a failed run back (saga). */
  rollback?: unknown;
  /** For child runs: the parent step's attempt that started it. */
  childAttempt?: number;
  /** For child runs: how many runs up the top-level run is (1 for its children); absent is 0. */
  depth?: number;
  /** For child runs: the top-level run of the tree (whose budget, if any, covers this run). */
  rootRunId?: string;
}

export interface StepError {
  message: string;
  code?: string;
  retryable?: boolean;
  attempt?: number;
  /** For run errors: the step that failed. */
  stepKey?: string;
  details?: unknown;
}

export interface Run {
  id: string;
  definitionId: string;
  definitionName: string;
  definitionVersion: string;
  owner: string;
  status: RunStatus;
  input: unknown;
  output: Record<string, unknown> | null;
  error: StepError | null;
  metadata: Record<string, unknown>;
  execution: RunExecution;
  maxParallel: number;
  idempotencyKey: string | null;
  parentRunId: string | null;
  parentStepId: string | null;
  stepsTotal: number;
  stepsDone: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /**
   * The API token that submitted the run, recorded by the server (never from the request
   * body); null when auth was off, for child runs, and for runs older than the column.
   */
  submittedBy: string | null;
  /** The person (OIDC subject) who submitted the run, recorded by the server; null otherwise. Checkpoints with `self_approval: false` read it. */
  submittedByPerson: string | null;
  /** When the run tree is cancelled with `run_timeout`; null for child runs (their root's deadline covers them). */
  deadlineAt: Date | null;
  /** When admission let the run start (MAX_CONCURRENT_WORKFLOWS); null while it waits in the queue. */
  admittedAt: Date | null;
  /** How a saga rollback ended (issue 12): every compensation done, or some gave up. Null without one. */
  compensation: 'completed' | 'partial' | null;
  /** Where the run's spans hang in its trace (issue 13); null when tracing was off at creation. */
  traceContext: RunTraceContext | null;
  /** Place in the admission queue (1 = next), set only by `RunQueryService.get` for a queued run. */
  queuePosition?: number | null;
}

export interface Step {
  id: string;
  runId: string;
  key: string;
  position: number;
  type: string;
  agent: string | null;
  capability: string | null;
  /** The agent that served the last claim (null before the first claim, and for steps without an agent). */
  servedBy: string | null;
  status: StepStatus;
  /** Why a waiting step waits, when not for a child run, a person or an event: `worker` (a worker node's job) or `breaker_open` (every agent that could serve it has an open breaker). */
  waitReason: string | null;
  dependsOn: string[];
  attempt: number;
  maxAttempts: number;
  input: unknown;
  output: unknown;
  error: StepError | null;
  availableAt: Date;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  leaseRecoveries: number;
  cacheKey: string | null;
  cacheHit: boolean;
  cacheHits: number;
  cacheStoredAt: Date | null;
  childRunId: string | null;
  createdAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** `condition` when a `when` (or dependencies all skipped by one) skipped it; else null. */
  skipReason: string | null;
  /** For a looping step: the current iteration, from 1; null for a step without `loop`. */
  iteration: number | null;
  /** For `type: pattern` steps read with their run: the pattern's name and its turns in order. */
  pattern?: string | null;
  turns?: PatternTurn[];
  /** What the step's agent calls reported spending, over all attempts; null when nothing was reported. */
  usage?: { tokens: number; cost: number } | null;
}

/** One finished iteration of a looping step. */
export interface StepIteration {
  stepKey: string;
  iteration: number;
  status: 'completed' | 'failed';
  input: unknown;
  output: unknown;
  error: StepError | null;
  startedAt: Date | null;
  finishedAt: Date;
}

/** A run tree's budget as `GET /runs/:id` shows it (the same on every run of the tree). */
export interface RunBudgetView {
  rootRunId: string;
  limits: Record<string, number>;
  spent: { steps: number; turns: number; tokens: number; cost: number; wall_seconds: number };
  on_exceed: string;
  /** Limits whose 80 % warning was sent, and the limit that stopped the tree (until raised). */
  warned: string[];
  exceeded: string | null;
}

export interface RunWithSteps extends Run {
  steps: Step[];
  /** Finished iterations of looping steps, by step key, in order. */
  iterations?: Map<string, StepIteration[]>;
  /** Null when the run's tree has no budget; absent where it was not read. */
  budget?: RunBudgetView | null;
}

/** A step this process now holds a lease on, with what executing it needs. */
export interface ClaimedStep {
  id: string;
  runId: string;
  key: string;
  type: string;
  agent: string | null;
  /** The capability the definition asks for, when it names no agent. */
  capability: string | null;
  /** The agent chosen at the claim (the named agent, or one having the capability). */
  servedBy: string | null;
  attempt: number;
  maxAttempts: number;
  /** Fencing token: every write about this execution must carry it. */
  token: number;
  /** Set when a waiting step was woken (child finished, checkpoint decided). */
  wakeReason: string | null;
  /** For a looping step: the iteration this claim runs, from 1; null otherwise. */
  iteration: number | null;
  childRunId: string | null;
  definitionId: string;
  owner: string;
  runInput: unknown;
  /** The run's status at the claim (a `pending` run is marked started by it). */
  runStatus: string;
  /** When this process claimed it (ms since epoch), for step durations. */
  claimedAt: number;
  /** The run's trace context (issue 13): the step's spans are children of the run span. */
  traceContext: RunTraceContext | null;
  /**
   * Its dependencies' outputs, read by the claim's own statement (issue 17), so a step with
   * dependencies starts without a read of its own; absent when nothing was read with it.
   */
  upstream?: Record<string, UpstreamStep>;
}

/** A step as a later step's templates and conditions see it. */
export interface UpstreamStep {
  output: unknown;
  status: string;
  skipReason: string | null;
  /** For a looping step: the outputs of its finished iterations. */
  iterations?: unknown[];
}

/** What a completed step records about the step cache. */
export interface CacheOutcome {
  key: string | null;
  /** True when the whole output came from the cache. */
  hit: boolean;
  /** Hits in this execution (one per item for a for_each step). */
  hits: number;
  storedAt: Date | null;
}
