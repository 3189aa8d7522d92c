import { BatonError, type FieldError } from '@baton/common';
import type { AgentCatalog, ExecutionSettings, StepSpec } from '../definition.types.js';
import type { GraphPlan } from '../graph/step-graph.js';
import { Issues, readObject, readString, describe, type Json } from './field-reader.js';
import { readExecutionSettings } from './execution-settings.js';
import { readBudget } from './budget-reader.js';
import { readStep, type ReadStep } from './step-reader.js';
import { checkGraph } from './graph-checks.js';
import { readTriggers } from './trigger-reader.js';
import { mergeCache, mergeFailure } from './policies.js';
import { patternAgentUses } from './pattern-reader.js';
import { readPatternShortcut } from './pattern-shortcut.js';

const BODY_KEYS = ['name', 'version', 'owner', 'description', 'orchestration', 'steps', 'a2a', 'agents', 'budget', 'triggers'] as const;
/** `a2a.answer`: what a blocking A2A send answers when the run completes at once (see docs/a2a.md). */
const A2A_ANSWERS = ['task', 'message'];
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** A validated, planned definition that has not been stored (no id, revision or hash yet). */
export interface NormalizedDefinition {
  name?: string;
  /** `version` as text, whether it was written as a string or a number. */
  version?: string;
  owner?: string;
  description?: string;
  body: Json;
  /** In topological order. */
  steps: StepSpec[];
  execution: ExecutionSettings;
  /** Built on first read: storing a definition needs only `steps`, already in topological order. */
  readonly plan: GraphPlan;
}

/** An agent named by a step, with where it was named. */
export interface AgentUse {
  readonly name: string;
  readonly path: string;
}

export interface ValidateOptions {
  /** Saved definitions must be named and versioned; inline plans need not be. Default true. */
  requireNameAndVersion?: boolean;
  /** Most steps a definition may have (BATON_MAX_STEPS); default 10,000. */
  maxSteps?: number;
}

export const DEFAULT_MAX_STEPS = 10_000;

export type ValidationResult =
  | { ok: true; definition: NormalizedDefinition; agents: AgentUse[] }
  | { ok: false; errors: FieldError[]; agents: AgentUse[] };

/**
 * Validates and plans a definition body without any I/O: shape, unknown keys, step ids,
 * dependencies, cycles and template references. Agent names are returned for the caller to
 * check (see `normalizeDefinition`). Collects every error rather than stopping at the first.
 */
export function validateDefinition(body: unknown, options: ValidateOptions = {}): ValidationResult {
  const issues = new Issues();
  const obj = readObject(body, '', issues, BODY_KEYS);
  if (!obj) return { ok: false, errors: issues.errors, agents: [] };
  const required = options.requireNameAndVersion ?? true;
  const name = readString(obj, 'name', '', issues, { required, pattern: NAME_PATTERN, patternHint: 'letters, digits, ".", "_" and "-"', maxLength: 128 });
  const version = readVersion(obj, issues, required);
  const owner = readString(obj, 'owner', '', issues, { maxLength: 128 });
  const description = readString(obj, 'description', '', issues);
  if (obj.a2a !== undefined) {
    const a2a = readObject(obj.a2a, 'a2a', issues, ['answer']);
    if (a2a && a2a.answer !== undefined && !A2A_ANSWERS.includes(a2a.answer as string)) issues.add('a2a.answer', `must be one of ${A2A_ANSWERS.join(', ')}`);
  }
  if (obj.triggers !== undefined) readTriggers(obj.triggers, issues);
  const shortcut = readPatternShortcut(obj, issues);
  const { settings, cachedStepPaths } = readExecutionSettings(shortcut ? shortcut.orchestration : obj.orchestration, issues);
  const budget = obj.budget === undefined ? undefined : readBudget(obj.budget, 'budget', issues);
  if (budget) settings.budget = budget;
  const steps = shortcut ? shortcut.steps : readSteps(obj.steps, issues, options.maxSteps ?? DEFAULT_MAX_STEPS);
  const graph = checkGraph(steps, issues);
  let ids: Set<string | undefined> | undefined;
  for (const [stepId, path] of cachedStepPaths) {
    ids ??= new Set(steps.map((step) => step.id));
    if (!ids.has(stepId)) issues.add(path, `unknown step "${stepId}"`);
  }
  const agents: AgentUse[] = [];
  for (const step of steps) if (step.agent) agents.push(new StepAgentUse(step.agent, step.path));
  for (const step of steps) {
    if (step.pattern) agents.push(...patternAgentUses(step.pattern, shortcut ? 'agents' : `${step.path}.agents`));
  }
  if (issues.errors.length > 0 || !graph) return { ok: false, errors: issues.errors, agents };
  // Most definitions give no `caching.steps`; then no step needs a lookup by its id there.
  const cachedSteps = cachedStepPaths.size > 0 ? settings.caching.steps : undefined;
  const specs = graph.ordered.map((step) => toStepSpec(step, settings, cachedSteps));
  const definition: NormalizedDefinition = {
    name, version, owner, description, body: obj, steps: specs, execution: settings,
    get plan() {
      return graph.plan();
    },
  };
  return { ok: true, definition, agents };
}

/**
 * `validateDefinition` plus the agent check through `catalog` (when given). Throws
 * `BatonError.validation` listing every problem; returns the normalized definition.
 */
export async function normalizeDefinition(
  body: unknown,
  options: ValidateOptions & { agentCatalog?: AgentCatalog } = {},
): Promise<NormalizedDefinition> {
  const result = validateDefinition(body, options);
  const errors = result.ok ? [] : [...result.errors];
  if (options.agentCatalog && result.agents.length > 0) {
    const names = new Set<string>();
    for (const use of result.agents) names.add(use.name);
    const unknown = new Set(await options.agentCatalog.unknownAgents([...names]));
    if (unknown.size > 0) {
      for (const use of result.agents) {
        if (unknown.has(use.name)) errors.push({ path: use.path, message: `unknown agent "${use.name}"` });
      }
    }
  }
  if (errors.length > 0 || !result.ok) throw BatonError.validation(errors);
  return result.definition;
}

function readVersion(obj: Json, issues: Issues, required: boolean): string | undefined {
  const value = obj.version;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return String(value);
    return void issues.add('version', `must be a non-negative number or a string, got ${value}`);
  }
  return readString(obj, 'version', '', issues, { required, pattern: VERSION_PATTERN, patternHint: 'letters, digits, ".", "_", "+" and "-"', maxLength: 64 });
}

function readSteps(value: unknown, issues: Issues, maxSteps: number): ReadStep[] {
  if (!Array.isArray(value)) {
    issues.add('steps', value === undefined ? 'is required' : `must be a list, got ${describe(value)}`);
    return [];
  }
  if (value.length === 0) issues.add('steps', 'must have at least one step');
  // Refused before reading a single step: planning is linear, but not free.
  if (value.length > maxSteps) {
    issues.add('steps', `has ${value.length} steps, more than the ${maxSteps} allowed (BATON_MAX_STEPS)`);
    return [];
  }
  const steps: ReadStep[] = [];
  value.forEach((element, index) => {
    const step = readStep(element, index, issues);
    if (step) steps.push(step);
  });
  return steps;
}

/** An agent named by a step; the path is built only if an error needs it. */
class StepAgentUse implements AgentUse {
  constructor(
    readonly name: string,
    private readonly stepPath: string,
  ) {}

  get path(): string {
    return `${this.stepPath}.agent`;
  }
}

function withoutDuplicates(ids: string[]): string[] {
  if (ids.length > 16) return new Set(ids).size === ids.length ? ids : [...new Set(ids)];
  for (let i = 1; i < ids.length; i++) {
    if (ids.lastIndexOf(ids[i]!, i - 1) >= 0) return [...new Set(ids)];
  }
  return ids;
}

// Most steps reference no other step; they share this (never mutated) list.
const NO_REFERENCES: string[] = [];

function toStepSpec(step: ReadStep, settings: ExecutionSettings, cachedSteps: ExecutionSettings['caching']['steps'] | undefined): StepSpec {
  const references =
    step.expressions.length === 0
      ? NO_REFERENCES
      : [...new Set(step.expressions.flatMap(({ expr }) => (expr.stepId ? [expr.stepId] : [])))];
  const spec: StepSpec = {
    id: step.id!,
    type: step.type,
    // The read list is the step's own (not the body's); it is copied only to drop duplicates.
    dependsOn: withoutDuplicates(step.dependsOn),
    retry: mergeFailure(settings.errorHandling, step.retry),
    cache: mergeCache(settings.caching, cachedSteps?.[step.id!], step.cache),
    references,
  };
  // Only set what was given, so a stored definition compares equal to a re-read one.
  if (step.description !== undefined) spec.description = step.description;
  if (step.agent !== undefined) spec.agent = step.agent;
  if (step.capability !== undefined) spec.capability = step.capability;
  if (step.input !== undefined) spec.input = step.input;
  if (step.prompt !== undefined) spec.prompt = step.prompt;
  if (step.timeoutSeconds !== undefined) spec.timeoutSeconds = step.timeoutSeconds;
  if (step.forEach !== undefined) spec.forEach = step.forEach;
  if (step.compensate !== undefined) spec.compensate = step.compensate;
  if (step.definition !== undefined) spec.definition = step.definition;
  if (step.checkpoint !== undefined) spec.checkpoint = step.checkpoint;
  if (step.when !== undefined) spec.when = step.when;
  if (step.plan !== undefined) spec.plan = step.plan;
  if (step.loop !== undefined) {
    spec.loop = step.loop;
    // Iterations usually repeat the same input: a cache would answer each with the first output.
    spec.cache = { ...spec.cache, enabled: false };
  }
  if (step.pattern !== undefined) spec.pattern = step.pattern;
  if (step.wait !== undefined) spec.wait = step.wait;
  if (step.node !== undefined) spec.node = step.node;
  return spec;
}
