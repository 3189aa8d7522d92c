import type { FieldError } from '@baton/common';
import type { DefinitionRef, StepSpec } from '../definition.types.js';

/** What the check needs of a definition: its key and its steps. */
export interface DefinitionNode {
  id?: string;
  owner: string;
  name: string;
  version: string;
  steps: readonly StepSpec[];
}

/** Finds the stored definition a reference starts (latest or pinned version); undefined if none. */
export type DefinitionLookup = (ref: DefinitionRef) => Promise<DefinitionNode | undefined>;

/** Stop exploring after this many stored definitions: the check must stay cheap. */
const MAX_VISITED = 500;

/**
 * A definition whose `type: orchestration` step starts the definition itself, directly or
 * through stored definitions, would start runs without end. Refused when stored, naming the
 * step (`steps[2].definition`) and the chain. A reference to `root.name` without a version
 * means "latest", which `root` becomes once stored; references that do not resolve yet are
 * left to the run-depth limit at run time (`BATON_MAX_RUN_DEPTH`).
 *
 * `stepPaths` maps a step id to its path in the submitted body.
 */
export async function findSelfStart(
  root: DefinitionNode,
  lookup: DefinitionLookup,
  stepPaths: ReadonlyMap<string, string>,
): Promise<FieldError | undefined> {
  const visited = new Set<string>();
  for (const step of root.steps) {
    if (step.type !== 'orchestration' || !step.definition) continue;
    const chain = await cycleThrough(step.definition, root, lookup, visited, [label(root)]);
    if (chain) {
      return {
        path: `${stepPaths.get(step.id) ?? `steps.${step.id}`}.definition`,
        message: `starts ${label(root)} again (${chain.join(' → ')}); a definition may not start itself, directly or through others`,
      };
    }
  }
  return undefined;
}

/** Depth-first over references; returns the chain of names back to root, if there is one. */
async function cycleThrough(
  ref: DefinitionRef,
  root: DefinitionNode,
  lookup: DefinitionLookup,
  visited: Set<string>,
  chain: string[],
): Promise<string[] | undefined> {
  if (startsRoot(ref, root)) return [...chain, label(root)];
  if (visited.size >= MAX_VISITED) return undefined;
  const node = await lookup(ref);
  if (!node) return undefined;
  const key = node.id ?? `${node.owner}/${node.name}@${node.version}`;
  if (visited.has(key)) return undefined;
  visited.add(key);
  for (const step of node.steps) {
    if (step.type !== 'orchestration' || !step.definition) continue;
    const found = await cycleThrough(step.definition, root, lookup, visited, [...chain, label(node)]);
    if (found) return found;
  }
  return undefined;
}

function startsRoot(ref: DefinitionRef, root: DefinitionNode): boolean {
  return (ref.owner ?? '') === root.owner && ref.name === root.name && (ref.version === undefined || String(ref.version) === root.version);
}

function label(node: Pick<DefinitionNode, 'owner' | 'name'>): string {
  return node.owner ? `"${node.owner}/${node.name}"` : `"${node.name}"`;
}
