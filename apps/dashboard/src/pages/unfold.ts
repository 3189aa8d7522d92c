import type { Run, Step } from '../api';
import type { GraphStep } from './graph';

/** What selecting a node that is not a step of this run means. */
export type SubTarget = { kind: 'item'; parent: string } | { kind: 'child'; runId: string; stepId: string | null };

/** At most this many items of one for_each are drawn; the rest are one "+N more" node. */
export const MAX_ITEMS = 50;

/**
 * The run's steps as graph nodes, with the unfolded ones followed by what is inside them:
 * a for_each step's items (one per element of its output, each completed with it; the
 * engine records items only as the step's output, so before it ends they are one node in
 * the step's status), and an orchestration step's child run's steps (statuses as loaded).
 * Node ids of inside nodes are `<step>[<i>]` and `<step>/<child step>`; `targets` says what
 * each of them stands for.
 */
export function unfoldSteps(
  steps: Step[],
  options: { forEach: ReadonlySet<string>; expanded: ReadonlySet<string>; childRuns: ReadonlyMap<string, Run> },
): { steps: GraphStep[]; targets: Map<string, SubTarget> } {
  const nodes: GraphStep[] = [];
  const targets = new Map<string, SubTarget>();
  for (const step of steps) {
    const expandable = options.forEach.has(step.id) ? 'items' : step.type === 'orchestration' ? 'child' : undefined;
    const expanded = Boolean(expandable) && options.expanded.has(step.id);
    nodes.push({
      id: step.id,
      dependsOn: step.dependsOn,
      status: step.status,
      detail: expandable === 'items' ? `for_each · ${step.agent ?? 'agent'}` : step.type === 'agent' ? step.agent ?? undefined : step.type,
      ...(expandable && { expandable, expanded }),
    });
    if (!expanded) continue;
    if (expandable === 'items') pushItems(step, nodes, targets);
    else pushChild(step, options.childRuns, nodes, targets);
  }
  return { steps: nodes, targets };
}

function pushItems(step: Step, nodes: GraphStep[], targets: Map<string, SubTarget>): void {
  const add = (id: string, label: string, status: string, detail: string) => {
    nodes.push({ id, label, dependsOn: [step.id], status, detail, sub: true });
    targets.set(id, { kind: 'item', parent: step.id });
  };
  if (!Array.isArray(step.output)) {
    const detail = step.status === 'completed' ? 'no items' : ['failed', 'cancelled', 'skipped'].includes(step.status) ? 'items not recorded' : 'items in progress';
    return add(`${step.id}[…]`, `${step.id}[…]`, step.status, detail);
  }
  const items = step.output as unknown[];
  if (items.length === 0) return add(`${step.id}[…]`, `${step.id}[]`, step.status, 'no items');
  items.slice(0, MAX_ITEMS).forEach((output, index) => add(`${step.id}[${index}]`, `${step.id}[${index}]`, 'completed', preview(output)));
  if (items.length > MAX_ITEMS) add(`${step.id}[+]`, `${step.id}[${MAX_ITEMS}…]`, 'completed', `${items.length - MAX_ITEMS} more items`);
}

function pushChild(step: Step, childRuns: ReadonlyMap<string, Run>, nodes: GraphStep[], targets: Map<string, SubTarget>): void {
  const child = step.childRunId ? childRuns.get(step.childRunId) : undefined;
  if (!child?.steps) {
    const id = `${step.id}/…`;
    nodes.push({ id, label: id, dependsOn: [step.id], status: step.childRunId ? 'pending' : step.status, detail: step.childRunId ? 'loading the child run' : 'no child run yet', sub: true });
    if (step.childRunId) targets.set(id, { kind: 'child', runId: step.childRunId, stepId: null });
    return;
  }
  const prefix = `${step.id}/`;
  for (const inner of child.steps) {
    const id = prefix + inner.id;
    const dependsOn = inner.dependsOn.length > 0 ? inner.dependsOn.map((dep) => prefix + dep) : [step.id];
    nodes.push({ id, label: id, dependsOn, status: inner.status, detail: inner.type === 'agent' ? inner.agent ?? undefined : inner.type, sub: true });
    targets.set(id, { kind: 'child', runId: child.id, stepId: inner.id });
  }
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
