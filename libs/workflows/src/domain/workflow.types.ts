import type { FieldError } from '@baton/common';

/** One `agents[]` entry of a `workflow:` document. */
export interface WorkflowAgent {
  /** The Baton agent that does the work: a registered agent name or `builtin:<name>`. */
  type: string;
  /** Replicas: how many copies of a `parallel` task run at once (default 1). */
  count: number;
  capabilities: string[];
  /** Placement hints as written (`cpu: "500m"`, `memory: "1Gi"`, `gpu: 1`). */
  resources: Record<string, string | number>;
}

/** One `tasks[]` entry: becomes one Baton step (or `count` replicas and a join step). */
export interface WorkflowTask {
  id: string;
  agent: string;
  dependsOn: string[];
  timeoutSeconds?: number;
  retryPolicy?: RetryPolicyName;
  parallel: boolean;
  input?: unknown;
  description?: string;
}

export type RetryPolicyName = 'exponential_backoff' | 'fixed' | 'none';

/** How a pattern name shapes the step graph. */
export type GraphShape = 'graph' | 'chain';

/** What the validator reports: every problem with its path in the document. */
export interface ValidationReport {
  valid: boolean;
  errors: FieldError[];
  warnings: FieldError[];
}

/** Resources a workflow asks for, summed over agent replicas. */
export interface EstimatedResources {
  agents: number;
  tasks: number;
  steps: number;
  /** The most steps that can run at once (the widest layer of the graph). */
  max_parallel_steps: number;
  /** Sums of numeric placement hints × count, by resource name (cpu in cores, memory in MiB). */
  resources: Record<string, number>;
}

/** Where each part of the document went: kept so the translation loses nothing. */
export interface Translation {
  /** The Baton definition body that was stored. */
  definition: Record<string, unknown>;
  /** Parts of the document with no definition field of their own, kept as written. */
  hints: {
    agents: Array<{ type: string; count: number; capabilities: string[]; resources: Record<string, string | number> }>;
    coordination?: unknown;
    fault_tolerance?: unknown;
    /** `coordination.max_concurrent_executions`: execute refuses (409) while this many run. */
    max_concurrent_executions?: number;
  };
  /** One line per mapping: `tasks[1].retry_policy -> steps[1].retry`. */
  mapping: Array<{ from: string; to: string; note?: string }>;
}

/** The translator's answer: a report, and a translation when the report is valid. */
export interface TranslateResult {
  report: ValidationReport;
  /** Set when `orchestration_pattern` names no pattern the translator knows (HTTP 400). */
  unknownPattern?: string;
  translation?: Translation;
  estimated?: EstimatedResources;
  /** The agent types the tasks use, with their replica counts. */
  agents: WorkflowAgent[];
}
