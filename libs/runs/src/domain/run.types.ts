import type { CachePolicy, FailurePolicy } from '@baton/definitions';
import type { RunStatus } from './run-status.js';
import type { StepStatus } from './step-status.js';

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
  rollback?: unknown;
  /** For child runs: the parent step's attempt that started it. */
  childAttempt?: number;
  /** For child runs: how many runs up the top-level run is (1 for its children); absent is 0. */
  depth?: number;
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
  /** When the run tree is cancelled with `run_timeout`; null for child runs (their root's deadline covers them). */
  deadlineAt: Date | null;
  /** When admission let the run start (MAX_CONCURRENT_WORKFLOWS); null while it waits in the queue. */
  admittedAt: Date | null;
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
  /** Why a waiting step waits, when not for a child run or a person (`breaker_open`). */
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
}

export interface RunWithSteps extends Run {
  steps: Step[];
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
  childRunId: string | null;
  definitionId: string;
  owner: string;
  runInput: unknown;
  /** The run's status at the claim (a `pending` run is marked started by it). */
  runStatus: string;
  /** When this process claimed it (ms since epoch), for step durations. */
  claimedAt: number;
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
