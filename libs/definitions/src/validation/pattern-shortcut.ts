import { Issues, isObject, type Json } from './field-reader.js';
import { PATTERN_STEP_KEYS } from './pattern-reader.js';
import { readStep, type ReadStep } from './step-reader.js';

/** The id of the one step a pattern shortcut stands for. */
export const SHORTCUT_STEP_ID = 'team';

export interface PatternShortcut {
  /** The `orchestration` block without its pattern keys: execution settings only. */
  orchestration: Json;
  steps: ReadStep[];
}

/**
 * A definition with `orchestration.pattern` and a top-level `agents` list is a one-step
 * definition whose step is that pattern (`id: team`, input: the run's input). Errors are
 * reported at the keys the author wrote (`orchestration.max_turns`, `agents[1].name`), not at
 * the step they became. Undefined when the body does not use the shortcut.
 */
export function readPatternShortcut(body: Json, issues: Issues): PatternShortcut | undefined {
  const orchestration = body.orchestration;
  if (!isObject(orchestration) || orchestration.pattern === undefined) {
    if (body.agents !== undefined) issues.add('agents', 'is only allowed with orchestration.pattern (the pattern shortcut)');
    return undefined;
  }
  if (body.steps !== undefined) issues.add('steps', 'cannot be combined with orchestration.pattern: the pattern is the definition');
  const step: Json = { id: SHORTCUT_STEP_ID, type: 'pattern', agents: body.agents };
  const rest: Json = {};
  for (const [key, value] of Object.entries(orchestration)) {
    if ((PATTERN_STEP_KEYS as readonly string[]).includes(key) && key !== 'agents') step[key] = value;
    else rest[key] = value;
  }
  const local = new Issues();
  const read = readStep(step, 0, local);
  for (const error of local.errors) issues.add(rewritePath(error.path), error.message);
  return { orchestration: rest, steps: read ? [read] : [] };
}

function rewritePath(path: string): string {
  if (path === 'steps[0].agents' || path.startsWith('steps[0].agents[') || path.startsWith('steps[0].agents.')) return path.slice('steps[0].'.length);
  if (path.startsWith('steps[0].')) return `orchestration.${path.slice('steps[0].'.length)}`;
  return path === 'steps[0]' ? 'orchestration' : path;
}
