import type { FieldError } from '@baton/common';
import { readWorkflow, WORKFLOW_PATTERNS, type ReadWorkflow } from './read-workflow.js';
import { TEAM_PATTERNS, teamSteps } from './translate-team.js';
import type { EstimatedResources, RetryPolicyName, TranslateResult, Translation, WorkflowAgent, WorkflowTask } from './workflow.types.js';

/** Retry settings each `retry_policy` name stands for (a step's `retry`, docs/api.md). */
export const RETRY_POLICIES: Readonly<Record<RetryPolicyName, Record<string, unknown>>> = {
  exponential_backoff: { max_attempts: 3, backoff: { initial_ms: 1000, multiplier: 2, max_ms: 60000 } },
  fixed: { max_attempts: 3, backoff: { initial_ms: 1000, multiplier: 1, max_ms: 1000 } },
  none: { max_attempts: 1 },
};

/** The agent that joins a task's replicas: it returns its rendered input unchanged. */
export const REPLICA_JOIN_AGENT = 'builtin:echo';

type Step = Record<string, unknown>;

/**
 * Translates a `workflow:` document into a Baton definition body, without I/O. Every field
 * lands somewhere: in the definition, or (agents' capabilities and resources, coordination,
 * fault_tolerance) in `translation.hints`, and `translation.mapping` says where each went.
 * The body is then validated by the definitions library like any other.
 */
export function translateWorkflow(doc: unknown): TranslateResult {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const read = readWorkflow(doc, errors);
  if (read.pattern !== undefined && !Object.hasOwn(WORKFLOW_PATTERNS, read.pattern) && !Object.hasOwn(TEAM_PATTERNS, read.pattern)) {
    const known = [...Object.keys(WORKFLOW_PATTERNS), ...Object.keys(TEAM_PATTERNS)];
    errors.push({ path: 'workflow.orchestration_pattern', message: `unknown pattern "${read.pattern}" (known: ${known.join(', ')})` });
    return { report: { valid: false, errors, warnings }, unknownPattern: read.pattern, agents: read.agents };
  }
  const taken = new Set(read.tasks.map((t) => t.id));
  read.tasks.forEach((task, i) => {
    if (replicasOf(task, read.agents) < 2) return;
    for (let r = 1; r <= replicasOf(task, read.agents); r++) {
      if (taken.has(replicaId(task.id, r))) errors.push({ path: `workflow.tasks[${i}].id`, message: `replica step "${replicaId(task.id, r)}" would collide with a task of that id` });
    }
  });
  if (errors.length > 0) return { report: { valid: false, errors, warnings }, agents: read.agents };
  const translation = build(read, warnings);
  return {
    report: { valid: true, errors, warnings },
    translation,
    estimated: estimate(read, translation.definition.steps as Step[]),
    agents: read.agents,
  };
}

function build(read: ReadWorkflow, warnings: FieldError[]): Translation {
  const mapping: Translation['mapping'] = [
    { from: 'workflow.name', to: 'name' },
    { from: 'workflow.version', to: 'version' },
  ];
  const steps = Object.hasOwn(TEAM_PATTERNS, read.pattern!) ? teamSteps(read, mapping, warnings) : graphSteps(read, mapping, warnings);
  const definition: Record<string, unknown> = { name: read.name, version: read.version };
  return finish(read, definition, steps, mapping, warnings);
}

/** A task-graph pattern: each task a step (or replicas and a join step). */
function graphSteps(read: ReadWorkflow, mapping: Translation['mapping'], warnings: FieldError[]): Step[] {
  const chain = WORKFLOW_PATTERNS[read.pattern!] === 'chain';
  mapping.push({ from: 'workflow.orchestration_pattern', to: 'steps[*].depends_on', note: chain ? 'a task without depends_on runs after the task before it' : 'only the dependencies written' });
  const placements = new Map(read.agents.map((a, i) => [a.type, placementResources(a, `workflow.agents[${i}]`, warnings)]));
  const steps: Step[] = [];
  read.tasks.forEach((task, i) => {
    const dependsOn = task.dependsOn.length === 0 && chain && i > 0 ? [read.tasks[i - 1]!.id] : task.dependsOn;
    const agent = read.agents.find((a) => a.type === task.agent)!;
    const base = stepOf(task, placements.get(agent.type)!, dependsOn, `workflow.tasks[${i}]`, mapping);
    const replicas = replicasOf(task, read.agents);
    if (replicas < 2) return void steps.push(base);
    const ids = Array.from({ length: replicas }, (_, r) => replicaId(task.id, r + 1));
    ids.forEach((id, r) => steps.push({ ...base, id, description: `replica ${r + 1} of ${replicas} of task ${task.id}` }));
    steps.push({
      id: task.id,
      agent: REPLICA_JOIN_AGENT,
      depends_on: ids,
      description: `joins the ${replicas} replicas of task ${task.id}`,
      input: { replicas: ids.map((id) => `{{ steps.${id}.output }}`) },
    });
    mapping.push({ from: `workflow.tasks[${i}].parallel`, to: `steps[${ids.join(', ')}, ${task.id}]`, note: `count ${replicas} of agent ${agent.type}: ${replicas} replica steps and a join step whose output is { replicas: [ … ] }` });
  });
  return steps;
}

function finish(read: ReadWorkflow, definition: Record<string, unknown>, steps: Step[], mapping: Translation['mapping'], warnings: FieldError[]): Translation {
  if (read.description !== undefined) definition.description = read.description;
  const orchestration = orchestrationOf(read, mapping, warnings);
  if (Object.keys(orchestration).length > 0) definition.orchestration = orchestration;
  definition.steps = steps;
  const hints: Translation['hints'] = { agents: read.agents.map((a) => ({ type: a.type, count: a.count, capabilities: a.capabilities, resources: a.resources })) };
  mapping.push({ from: 'workflow.agents[*].capabilities', to: 'hints.agents', note: 'kept; the agent is chosen by type' });
  if (read.coordination !== undefined) {
    hints.coordination = read.coordination;
    mapping.push({ from: 'workflow.coordination', to: 'hints.coordination', note: 'kept as written' });
    const maxExecutions = (read.coordination as Record<string, unknown>).max_concurrent_executions;
    if (typeof maxExecutions === 'number') {
      hints.max_concurrent_executions = maxExecutions;
      mapping.push({ from: 'workflow.coordination.max_concurrent_executions', to: 'hints.max_concurrent_executions', note: 'execute answers 409 while this many executions are not finished' });
    }
  }
  if (read.faultTolerance !== undefined) hints.fault_tolerance = read.faultTolerance;
  return { definition, hints, mapping };
}

function stepOf(task: WorkflowTask, resources: Record<string, number>, dependsOn: string[], path: string, mapping: Translation['mapping']): Step {
  const step: Step = { id: task.id, agent: task.agent };
  if (task.description !== undefined) step.description = task.description;
  if (dependsOn.length > 0) step.depends_on = dependsOn;
  if (task.input !== undefined) step.input = task.input;
  if (task.timeoutSeconds !== undefined) {
    step.timeout_seconds = task.timeoutSeconds;
    mapping.push({ from: `${path}.timeout`, to: `steps.${task.id}.timeout_seconds` });
  }
  if (task.retryPolicy !== undefined) {
    step.retry = RETRY_POLICIES[task.retryPolicy];
    mapping.push({ from: `${path}.retry_policy`, to: `steps.${task.id}.retry`, note: task.retryPolicy });
  }
  if (Object.keys(resources).length > 0) {
    step.node = { resources };
    mapping.push({ from: `agents.${task.agent}.resources`, to: `steps.${task.id}.node.resources`, note: 'placement hints: cpu in cores, memory in MiB; used by worker-node agents, ignored by others' });
  }
  return step;
}

function orchestrationOf(read: ReadWorkflow, mapping: Translation['mapping'], warnings: FieldError[]): Record<string, unknown> {
  const orchestration: Record<string, unknown> = {};
  if (read.timeoutSeconds !== undefined) {
    orchestration.timeout_seconds = read.timeoutSeconds;
    mapping.push({ from: 'workflow.timeout', to: 'orchestration.timeout_seconds' });
  }
  const coordination = (read.coordination ?? {}) as Record<string, unknown>;
  const maxParallel = coordination.max_parallel;
  if (maxParallel !== undefined) {
    if (Number.isInteger(maxParallel) && (maxParallel as number) >= 1) {
      orchestration.execution = { concurrency: { maxParallel } };
      mapping.push({ from: 'workflow.coordination.max_parallel', to: 'orchestration.execution.concurrency.maxParallel' });
    } else warnings.push({ path: 'workflow.coordination.max_parallel', message: 'not an integer ≥ 1: kept as a hint only' });
  }
  const ft = (read.faultTolerance ?? {}) as Record<string, unknown>;
  const errorHandling: Record<string, unknown> = {};
  if (typeof ft.retry_policy === 'string' && ft.retry_policy in RETRY_POLICIES) {
    errorHandling.on_step_failure = RETRY_POLICIES[ft.retry_policy as RetryPolicyName];
    mapping.push({ from: 'workflow.fault_tolerance.retry_policy', to: 'orchestration.error_handling.on_step_failure', note: ft.retry_policy });
  }
  const saga = ft.saga_pattern as Record<string, unknown> | undefined;
  if (saga && typeof saga === 'object') {
    const compensate = saga.compensation_enabled === true && saga.rollback_on_failure !== false;
    errorHandling.rollback = { on_failure: compensate ? 'compensate' : 'none' };
    mapping.push({ from: 'workflow.fault_tolerance.saga_pattern', to: 'orchestration.error_handling.rollback', note: 'stored on the run; steps declare no compensation, so nothing is undone' });
  }
  if (ft.circuit_breaker !== undefined) {
    mapping.push({ from: 'workflow.fault_tolerance.circuit_breaker', to: 'hints.fault_tolerance', note: "breakers are per agent: set them on the agent's registration (docs/fault-tolerance.md)" });
  }
  if (Object.keys(errorHandling).length > 0) orchestration.error_handling = errorHandling;
  return orchestration;
}

/** Numeric placement hints: `cpu` in cores ("500m" → 0.5), `memory` in MiB ("1Gi" → 1024). */
export function placementResources(agent: WorkflowAgent, path: string, warnings: FieldError[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(agent.resources)) {
    const n = quantity(value);
    if (n === undefined) warnings.push({ path: `${path}.resources.${name}`, message: `"${value}" is not a quantity: kept as a hint only` });
    else out[name] = n;
  }
  return out;
}

const BINARY: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
const DECIMAL: Record<string, number> = { K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, T: 1e12 / 2 ** 20 };

function quantity(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(value.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2];
  if (unit === undefined) return n;
  if (unit === 'm') return n / 1000;
  const factor = BINARY[unit] ?? DECIMAL[unit]!;
  return Math.round(n * factor * 1000) / 1000;
}

function replicasOf(task: WorkflowTask, agents: WorkflowAgent[]): number {
  return task.parallel ? (agents.find((a) => a.type === task.agent)?.count ?? 1) : 1;
}

function replicaId(id: string, r: number): string {
  return `${id}_r${r}`;
}

function estimate(read: ReadWorkflow, steps: Step[]): EstimatedResources {
  const resources: Record<string, number> = {};
  for (const agent of read.agents) {
    for (const [name, n] of Object.entries(placementResources(agent, ''))) resources[name] = Math.round(((resources[name] ?? 0) + n * agent.count) * 1000) / 1000;
  }
  return {
    agents: read.agents.reduce((sum, a) => sum + a.count, 0),
    tasks: read.tasks.length,
    steps: steps.length,
    max_parallel_steps: widestLayer(steps),
    resources,
  };
}

/** Steps by depth (longest path from a root); the widest depth runs the most at once. */
function widestLayer(steps: Step[]): number {
  const depth = new Map<string, number>();
  const byId = new Map(steps.map((s) => [s.id as string, s]));
  const visit = (id: string, seen: Set<string>): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0; // a cycle: the definitions validator reports it
    seen.add(id);
    const deps = (byId.get(id)?.depends_on as string[] | undefined) ?? [];
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => visit(dep, seen)));
    depth.set(id, d);
    return d;
  };
  const counts = new Map<number, number>();
  for (const s of steps) {
    const d = visit(s.id as string, new Set());
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}
