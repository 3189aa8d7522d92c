import type { FieldError } from '@baton/common';
import { STEP_ID_PATTERN } from '@baton/definitions';
import { TEAM_PATTERNS } from './translate-team.js';
import type { GraphShape, RetryPolicyName, WorkflowAgent, WorkflowTask } from './workflow.types.js';

/**
 * The task-graph patterns and the graph each gives. `sequential` and `pipeline` chain a task
 * without `depends_on` after the task written before it; the others keep only the
 * dependencies written. Agent-team patterns (supervisor, handoff, …) are `TEAM_PATTERNS`.
 */
export const WORKFLOW_PATTERNS: Readonly<Record<string, GraphShape>> = {
  dag: 'graph',
  parallel: 'graph',
  concurrent: 'graph',
  sequential: 'chain',
  pipeline: 'chain',
};

export const RETRY_POLICY_NAMES: readonly RetryPolicyName[] = ['exponential_backoff', 'fixed', 'none'];

const WORKFLOW_KEYS = ['name', 'version', 'description', 'orchestration_pattern', 'timeout', 'agents', 'tasks', 'coordination', 'fault_tolerance', 'team'];
const AGENT_KEYS = ['type', 'count', 'capabilities', 'resources'];
const TASK_KEYS = ['id', 'agent', 'depends_on', 'timeout', 'retry_policy', 'parallel', 'input', 'description'];
/** Most replicas of one task: each is a step, and a run holds a bounded number of steps. */
export const MAX_COUNT = 64;

/** The fields of a `workflow:` document, read and checked; problems go to `errors`. */
export interface ReadWorkflow {
  name?: string;
  version?: string;
  description?: string;
  pattern?: string;
  timeoutSeconds?: number;
  agents: WorkflowAgent[];
  tasks: WorkflowTask[];
  coordination?: unknown;
  faultTolerance?: unknown;
  /** A team pattern's settings (Baton extension), passed to the pattern step as written. */
  team?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a document `{ workflow: { … } }`, reporting every problem with its path. */
export function readWorkflow(doc: unknown, errors: FieldError[]): ReadWorkflow {
  const empty: ReadWorkflow = { agents: [], tasks: [] };
  if (!isObject(doc) || !isObject(doc.workflow)) {
    errors.push({ path: 'workflow', message: 'is required: a mapping with name, version, orchestration_pattern, agents and tasks' });
    return empty;
  }
  for (const key of Object.keys(doc)) if (key !== 'workflow') errors.push({ path: key, message: 'unknown key (the document is { workflow: … })' });
  const w = doc.workflow;
  unknownKeys(w, 'workflow', WORKFLOW_KEYS, errors);
  const result: ReadWorkflow = {
    name: text(w.name, 'workflow.name', errors, true),
    version: versionOf(w.version, errors),
    description: text(w.description, 'workflow.description', errors, false),
    pattern: text(w.orchestration_pattern, 'workflow.orchestration_pattern', errors, true),
    timeoutSeconds: w.timeout === undefined ? undefined : duration(w.timeout, 'workflow.timeout', errors),
    agents: readAgents(w.agents, errors),
    tasks: [],
    coordination: w.coordination,
    faultTolerance: w.fault_tolerance,
  };
  if (w.coordination !== undefined && !isObject(w.coordination)) errors.push({ path: 'workflow.coordination', message: 'must be a mapping' });
  const maxExecutions = isObject(w.coordination) ? w.coordination.max_concurrent_executions : undefined;
  if (maxExecutions !== undefined && !(Number.isInteger(maxExecutions) && (maxExecutions as number) >= 1)) {
    errors.push({ path: 'workflow.coordination.max_concurrent_executions', message: 'must be an integer ≥ 1 (leave it out for no limit)' });
  }
  if (w.fault_tolerance !== undefined && !isObject(w.fault_tolerance)) errors.push({ path: 'workflow.fault_tolerance', message: 'must be a mapping' });
  const defaultRetry = isObject(w.fault_tolerance) ? w.fault_tolerance.retry_policy : undefined;
  if (defaultRetry !== undefined && !RETRY_POLICY_NAMES.includes(defaultRetry as RetryPolicyName)) {
    errors.push({ path: 'workflow.fault_tolerance.retry_policy', message: `must be one of ${RETRY_POLICY_NAMES.join(', ')}` });
  }
  const team = result.pattern !== undefined && Object.hasOwn(TEAM_PATTERNS, result.pattern);
  if (w.team !== undefined) {
    if (!isObject(w.team)) errors.push({ path: 'workflow.team', message: 'must be a mapping of the pattern step\'s settings (max_turns, supervisor, routes, …)' });
    else if (!team) errors.push({ path: 'workflow.team', message: `only for a team pattern (${Object.keys(TEAM_PATTERNS).join(', ')})` });
    else result.team = w.team;
  }
  // A team decides who works next at run time: its task list is optional (a brief).
  if (!(team && w.tasks === undefined)) result.tasks = readTasks(w.tasks, new Set(result.agents.map((a) => a.type)), errors);
  return result;
}

function readAgents(value: unknown, errors: FieldError[]): WorkflowAgent[] {
  if (!Array.isArray(value) || value.length === 0) {
    errors.push({ path: 'workflow.agents', message: 'must be a non-empty list' });
    return [];
  }
  const agents: WorkflowAgent[] = [];
  value.forEach((raw, i) => {
    const path = `workflow.agents[${i}]`;
    if (!isObject(raw)) return void errors.push({ path, message: 'must be a mapping' });
    unknownKeys(raw, path, AGENT_KEYS, errors);
    const type = text(raw.type, `${path}.type`, errors, true);
    if (type !== undefined && agents.some((a) => a.type === type)) errors.push({ path: `${path}.type`, message: `duplicate agent type "${type}"` });
    let count = 1;
    if (raw.count !== undefined) {
      if (!Number.isInteger(raw.count) || (raw.count as number) < 1 || (raw.count as number) > MAX_COUNT) errors.push({ path: `${path}.count`, message: `must be an integer from 1 to ${MAX_COUNT}` });
      else count = raw.count as number;
    }
    const capabilities: string[] = [];
    if (raw.capabilities !== undefined) {
      if (!Array.isArray(raw.capabilities) || raw.capabilities.some((c) => typeof c !== 'string' || c.length === 0)) errors.push({ path: `${path}.capabilities`, message: 'must be a list of names' });
      else capabilities.push(...(raw.capabilities as string[]));
    }
    const resources: Record<string, string | number> = {};
    if (raw.resources !== undefined) {
      if (!isObject(raw.resources)) errors.push({ path: `${path}.resources`, message: 'must be a mapping of name to quantity' });
      else for (const [k, v] of Object.entries(raw.resources)) {
        if ((typeof v === 'number' && Number.isFinite(v) && v >= 0) || (typeof v === 'string' && v.length > 0 && v.length <= 64)) resources[k] = v;
        else errors.push({ path: `${path}.resources.${k}`, message: 'must be a number ≥ 0 or a quantity such as "500m" or "1Gi"' });
      }
    }
    if (type !== undefined) agents.push({ type, count, capabilities, resources });
  });
  return agents;
}

function readTasks(value: unknown, agentTypes: Set<string>, errors: FieldError[]): WorkflowTask[] {
  if (!Array.isArray(value) || value.length === 0) {
    errors.push({ path: 'workflow.tasks', message: 'must be a non-empty list' });
    return [];
  }
  const tasks: WorkflowTask[] = [];
  value.forEach((raw, i) => {
    const path = `workflow.tasks[${i}]`;
    if (!isObject(raw)) return void errors.push({ path, message: 'must be a mapping' });
    unknownKeys(raw, path, TASK_KEYS, errors);
    const id = text(raw.id, `${path}.id`, errors, true);
    if (id !== undefined && !STEP_ID_PATTERN.test(id)) errors.push({ path: `${path}.id`, message: 'must start with a letter or _, then letters, digits, _ or -' });
    if (id !== undefined && tasks.some((t) => t.id === id)) errors.push({ path: `${path}.id`, message: `duplicate task id "${id}"` });
    const agent = text(raw.agent, `${path}.agent`, errors, true);
    if (agent !== undefined && !agentTypes.has(agent)) errors.push({ path: `${path}.agent`, message: `"${agent}" is not one of the agent types in workflow.agents` });
    const dependsOn: string[] = [];
    if (raw.depends_on !== undefined) {
      if (!Array.isArray(raw.depends_on) || raw.depends_on.some((d) => typeof d !== 'string')) errors.push({ path: `${path}.depends_on`, message: 'must be a list of task ids' });
      else dependsOn.push(...(raw.depends_on as string[]));
    }
    let retryPolicy: RetryPolicyName | undefined;
    if (raw.retry_policy !== undefined) {
      if (!RETRY_POLICY_NAMES.includes(raw.retry_policy as RetryPolicyName)) errors.push({ path: `${path}.retry_policy`, message: `must be one of ${RETRY_POLICY_NAMES.join(', ')}` });
      else retryPolicy = raw.retry_policy as RetryPolicyName;
    }
    if (raw.parallel !== undefined && typeof raw.parallel !== 'boolean') errors.push({ path: `${path}.parallel`, message: 'must be true or false' });
    const task: WorkflowTask = { id: id ?? `#${i}`, agent: agent ?? '', dependsOn, parallel: raw.parallel === true, retryPolicy };
    if (raw.timeout !== undefined) task.timeoutSeconds = duration(raw.timeout, `${path}.timeout`, errors);
    if (raw.input !== undefined) task.input = raw.input;
    const description = text(raw.description, `${path}.description`, errors, false);
    if (description !== undefined) task.description = description;
    tasks.push(task);
  });
  const ids = new Set(tasks.map((t) => t.id));
  tasks.forEach((t, i) => t.dependsOn.forEach((d, j) => {
    if (!ids.has(d)) errors.push({ path: `workflow.tasks[${i}].depends_on[${j}]`, message: `unknown task "${d}"` });
  }));
  return tasks;
}

/** `30`, `"30s"`, `"5m"`, `"2h"` → whole seconds ≥ 1. */
export function duration(value: unknown, path: string, errors: FieldError[]): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  const match = typeof value === 'string' ? /^(\d{1,9})(ms|s|m|h)?$/.exec(value.trim()) : null;
  if (match) {
    const n = Number(match[1]);
    const seconds = match[2] === 'ms' ? Math.ceil(n / 1000) : n * ({ s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1);
    if (seconds >= 1) return seconds;
  }
  errors.push({ path, message: 'must be a duration such as 30, "30s", "5m" or "1h" (at least one second)' });
  return undefined;
}

function versionOf(value: unknown, errors: FieldError[]): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value, 'workflow.version', errors, true);
}

function text(value: unknown, path: string, errors: FieldError[], required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) errors.push({ path, message: 'is required' });
    return undefined;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) {
    errors.push({ path, message: 'must be a non-empty string' });
    return undefined;
  }
  return value;
}

function unknownKeys(obj: Obj, path: string, known: string[], errors: FieldError[]): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) errors.push({ path: `${path}.${key}`, message: `unknown key (known: ${known.join(', ')})` });
}
