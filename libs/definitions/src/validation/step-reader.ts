import { readCheckpoint } from './checkpoint-reader.js';
import { readControlFlow, readPlan } from './control-flow-reader.js';
import type { CachePolicy, CheckpointSpec, CompensateSpec, DefinitionRef, LoopSpec, NodeSelectorSpec, StepType, WaitSpec } from '../definition.types.js';
import type { PatternSpec } from '../pattern.types.js';
import { PATTERN_STEP_KEYS, readPattern } from './pattern-reader.js';
import { WAIT_STEP_KEYS, readWaitStep } from './wait-reader.js';
import { readNodeSelector } from './node-selector-reader.js';
import { readCompensate } from './compensate-reader.js';
import { parseTemplate, TemplateSyntaxError } from '../template/template-parser.js';
import { scanTemplates, type FoundExpression, type TemplateScan } from '../template/template-scan.js';
import { Issues, child, describe, isObject, readInteger, readObject, readString, type Json } from './field-reader.js';
import { readCacheOverrides, readFailureOverrides, type FailureOverrides } from './policies.js';

export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const STEP_KEYS = [
  'id', 'type', 'description', 'agent', 'capability', 'depends_on', 'input', 'prompt',
  'timeout_seconds', 'retry', 'cache', 'for_each', 'definition', 'checkpoint', 'when', 'loop', 'plan', 'node', 'compensate',
  ...PATTERN_STEP_KEYS,
  ...WAIT_STEP_KEYS,
] as const;
const STEP_TYPES: readonly StepType[] = ['agent', 'orchestration', 'checkpoint', 'pattern', 'wait'];
const DEFINITION_REF_KEYS = ['name', 'version', 'owner'] as const;
// Hoisted: read once per step, and a 100,000-step graph should not allocate it 100,000 times.
const ID_RULE = { required: true, pattern: STEP_ID_PATTERN, patternHint: 'letters, digits, _ and -, not starting with a digit or -', maxLength: 128 };
const AGENT_NAME_RULE = { maxLength: 200 };
/** The expressions of every step without templates: one shared list, never mutated. */
const NO_EXPRESSIONS: FoundExpression[] = [];

/** The path of a step's i-th `depends_on` entry, built only when an error needs it. */
export function dependencyPath(step: Pick<ReadStep, 'path'>, i: number): string {
  return `${step.path}.depends_on[${i}]`;
}

/** One step as read from the body, before graph checks and policy merging. */
export interface ReadStep {
  index: number;
  path: string;
  id?: string;
  type: StepType;
  description?: string;
  agent?: string;
  capability?: string;
  /** Ids as written (duplicates kept); `dependencyPath` names entry i for error messages. */
  dependsOn: string[];
  input?: unknown;
  prompt?: string;
  timeoutSeconds?: number;
  retry: FailureOverrides;
  cache: Partial<CachePolicy>;
  forEach?: string;
  definition?: DefinitionRef;
  checkpoint?: CheckpointSpec;
  when?: string;
  loop?: LoopSpec;
  /** For `type: orchestration`: a `{{ expr }}` yielding a definition body at run time. */
  plan?: string;
  pattern?: PatternSpec;
  wait?: WaitSpec;
  node?: NodeSelectorSpec;
  compensate?: CompensateSpec;
  /** Every template expression in input, prompt, for_each, checkpoint, plan and match, and the steps named by CEL, with its path. */
  expressions: FoundExpression[];
}

export function readStep(value: unknown, index: number, issues: Issues): ReadStep | undefined {
  const path = `steps[${index}]`;
  const obj = readObject(value, path, issues, STEP_KEYS);
  if (!obj) return undefined;
  const type = readType(obj, path, issues);
  const step: ReadStep = {
    index,
    path,
    id: readString(obj, 'id', path, issues, ID_RULE),
    type: type ?? 'agent',
    description: readString(obj, 'description', path, issues),
    dependsOn: readDependsOn(obj, path, issues),
    input: obj.input,
    prompt: readString(obj, 'prompt', path, issues),
    timeoutSeconds: readInteger(obj, 'timeout_seconds', path, issues),
    retry: readFailureOverrides(obj.retry, obj.retry === undefined ? path : child(path, 'retry'), issues),
    cache: readCacheOverrides(obj.cache, obj.cache === undefined ? path : child(path, 'cache'), issues),
    forEach: readForEach(obj, path, issues),
    expressions: NO_EXPRESSIONS,
  };
  // With an unknown type, checks of type-specific keys would only add noise.
  if (type) readTypeSpecific(obj, step, issues);
  step.expressions = scanStepTemplates(obj, step, issues);
  readControlFlow(obj, step, issues);
  return step;
}

function readDependsOn(obj: Json, path: string, issues: Issues): ReadStep['dependsOn'] {
  const list = obj.depends_on;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    issues.add(child(path, 'depends_on'), `must be a list of step ids, got ${describe(list)}`);
    return [];
  }
  const result: string[] = [];
  for (let index = 0; index < list.length; index++) {
    const id: unknown = list[index];
    if (typeof id === 'string') result.push(id);
    else issues.add(`${path}.depends_on[${index}]`, `must be a step id (string), got ${describe(id)}`);
  }
  return result;
}

function readType(obj: Json, path: string, issues: Issues): StepType | undefined {
  if (obj.type === undefined) return 'agent';
  const type = readString(obj, 'type', path, issues);
  if (type === undefined) return undefined;
  if (!STEP_TYPES.includes(type as StepType)) {
    issues.add(child(path, 'type'), `must be one of ${STEP_TYPES.join(', ')}, got "${type}"`);
    return undefined;
  }
  return type as StepType;
}

/** `for_each` must be a single `{{ expr }}`: interpolated text would be a string, never a list. */
function readForEach(obj: Json, path: string, issues: Issues): string | undefined {
  const text = readString(obj, 'for_each', path, issues);
  if (text === undefined) return undefined;
  try {
    if (!parseTemplate(text).raw) {
      issues.add(child(path, 'for_each'), 'must be a single {{ expression }} that yields a list');
    }
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    // scanStepTemplates reports the syntax error.
  }
  return text;
}

/** Keys that belong to one step type, in the order their misuse is reported. */
const TYPE_SPECIFIC_KEYS: ReadonlyArray<readonly [string, StepType]> = [
  ['agent', 'agent'],
  ['capability', 'agent'],
  ['definition', 'orchestration'],
  ['plan', 'orchestration'],
  ['checkpoint', 'checkpoint'],
  ...PATTERN_STEP_KEYS.map((key) => [key, 'pattern'] as const),
  ...WAIT_STEP_KEYS.map((key) => [key, 'wait'] as const),
  ['node', 'agent'],
  ['compensate', 'agent'],
];
/** Each type-specific key's owners, to see in one pass over a step's own keys whether any is misplaced. */
const OWNERS_OF = new Map<string, StepType[]>();
for (const [key, owner] of TYPE_SPECIFIC_KEYS) OWNERS_OF.set(key, [...(OWNERS_OF.get(key) ?? []), owner]);

/**
 * Whether `obj` may have a key of another type than `type`, from its own few keys rather than
 * 30 lookups of absent ones per step. Only a yes costs the ordered check below.
 */
function hasForeignKey(obj: Json, type: StepType): boolean {
  for (const key of Object.keys(obj)) {
    const owners = OWNERS_OF.get(key);
    if (owners && (owners.length > 1 || owners[0] !== type)) return true;
  }
  return false;
}

function readTypeSpecific(obj: Json, step: ReadStep, issues: Issues): void {
  const { path, type } = step;
  if (hasForeignKey(obj, type)) {
    for (const [key, owner] of TYPE_SPECIFIC_KEYS) {
      if (obj[key] !== undefined && type !== owner) issues.add(child(path, key), `is only allowed when type is ${owner}`);
    }
  }
  if (type === 'pattern') {
    step.pattern = readPattern(obj, path, issues);
  } else if (type === 'agent') {
    if (obj.node !== undefined) step.node = readNodeSelector(obj.node, child(path, 'node'), issues);
    if (obj.compensate !== undefined) step.compensate = readCompensate(obj.compensate, child(path, 'compensate'), issues);
    step.agent = readString(obj, 'agent', path, issues, AGENT_NAME_RULE);
    step.capability = readString(obj, 'capability', path, issues, AGENT_NAME_RULE);
    if (obj.agent === undefined && obj.capability === undefined) {
      issues.add(child(path, 'agent'), 'is required (or give capability)');
    } else if (obj.agent !== undefined && obj.capability !== undefined) {
      issues.add(child(path, 'capability'), 'cannot be combined with agent; give exactly one');
    }
  } else if (type === 'orchestration') {
    if (obj.plan !== undefined) step.plan = readPlan(obj, step, issues);
    else step.definition = readDefinitionRef(obj.definition, child(path, 'definition'), issues);
  } else if (type === 'wait') {
    step.wait = readWaitStep(obj, step, issues);
  } else {
    step.checkpoint = readCheckpoint(obj.checkpoint, child(path, 'checkpoint'), issues);
  }
}

function readDefinitionRef(value: unknown, path: string, issues: Issues): DefinitionRef | undefined {
  if (value === undefined) return void issues.add(`${path}.name`, 'is required for an orchestration step');
  const obj = readObject(value, path, issues, DEFINITION_REF_KEYS);
  if (!obj) return undefined;
  const name = readString(obj, 'name', path, issues, { required: true });
  const version = typeof obj.version === 'number' ? String(obj.version) : readString(obj, 'version', path, issues);
  const owner = readString(obj, 'owner', path, issues);
  if (name === undefined) return undefined;
  return { name, ...(version !== undefined && { version }), ...(owner !== undefined && { owner }) };
}

const TEMPLATE_KEYS = ['input', 'prompt', 'for_each', 'checkpoint', 'plan', 'match'] as const;

/** Parses templates once, reports syntax errors and misuse of `item`/`index`/`iteration`. */
function scanStepTemplates(obj: Json, step: ReadStep, issues: Issues): FoundExpression[] {
  if (obj.input === undefined && obj.prompt === undefined && obj.for_each === undefined && obj.checkpoint === undefined && obj.plan === undefined && obj.match === undefined) {
    return NO_EXPRESSIONS;
  }
  const scan: TemplateScan = { expressions: [], errors: [] };
  for (const key of TEMPLATE_KEYS) {
    if (obj[key] !== undefined) scanTemplates(obj[key], child(step.path, key), scan);
  }
  for (const error of scan.errors) issues.add(error.path, error.message);
  for (const { path, expr } of scan.expressions) {
    if ((expr.root === 'item' || expr.root === 'index') && step.forEach === undefined) {
      issues.add(path, `${expr.root} is only available in a step with for_each`);
    }
    if (expr.root === 'iteration' && obj.loop === undefined) issues.add(path, 'iteration is only available in a step with loop');
    if (expr.root === 'step') issues.add(path, 'step is only available in a compensate block');
  }
  return scan.expressions;
}
