import type { BatonEvent, Run, Step } from '../api';
import type { GraphStep } from './graph';

/** What selecting a node that is not a step of this run means. */
export type SubTarget = { kind: 'item'; parent: string } | { kind: 'child'; runId: string; stepId: string | null };

/** At most this many items (or turns, or iterations) of one step are drawn; the rest are one "+N more" node. */
export const MAX_ITEMS = 50;

/** A running for_each step's items as its `step.items_progressed` events tell them. */
export interface ItemProgress {
  attempt: number;
  total: number;
  /** Status per item index: running, completed or failed (absent: not started yet). */
  status: Map<number, string>;
  errors: Map<number, string>;
}

/**
 * Folds `step.items_progressed` events (docs/api.md) into each for_each step's item statuses,
 * for its latest attempt: `completed` and `failed` name items finished since the event before,
 * `running` the items in flight when it was written.
 */
export function itemProgress(events: BatonEvent[]): Map<string, ItemProgress> {
  const progress = new Map<string, ItemProgress>();
  for (const event of events) {
    if (event.type !== 'step.items_progressed' || !event.stepKey || !event.data) continue;
    const data = event.data as { attempt?: number; total?: number; running?: number[]; completed?: number[]; failed?: Array<{ index: number; message?: string }> };
    let entry = progress.get(event.stepKey);
    if (!entry || (data.attempt ?? 0) > entry.attempt) {
      entry = { attempt: data.attempt ?? 0, total: data.total ?? 0, status: new Map(), errors: new Map() };
      progress.set(event.stepKey, entry);
    } else if ((data.attempt ?? 0) < entry.attempt) continue;
    entry.total = data.total ?? entry.total;
    for (const [index, status] of entry.status) if (status === 'running') entry.status.delete(index);
    for (const index of data.running ?? []) entry.status.set(index, 'running');
    for (const index of data.completed ?? []) entry.status.set(index, 'completed');
    for (const failure of data.failed ?? []) {
      entry.status.set(failure.index, 'failed');
      if (failure.message) entry.errors.set(failure.index, failure.message);
    }
  }
  return progress;
}

/**
 * The run's steps as graph nodes, with the unfolded ones followed by what is inside them:
 * a for_each step's items (from its output once it ends; while it runs, from its progress
 * events), an orchestration step's child run's steps (statuses as loaded), a pattern step's
 * turns and a looping step's iterations (both as the run answer lists them). Node ids of
 * inside nodes are `<step>[<i>]`, `<step>/<child step>`, `<step>#<turn>` and `<step>@<n>`;
 * `targets` says what each of them stands for.
 */
export function unfoldSteps(
  steps: Step[],
  options: {
    forEach: ReadonlySet<string>;
    expanded: ReadonlySet<string>;
    childRuns: ReadonlyMap<string, Run>;
    items?: ReadonlyMap<string, ItemProgress>;
    /** `type: wait` steps: the event each waits for (from the definition). */
    waits?: ReadonlyMap<string, string>;
  },
): { steps: GraphStep[]; targets: Map<string, SubTarget> } {
  const nodes: GraphStep[] = [];
  const targets = new Map<string, SubTarget>();
  for (const step of steps) {
    const expandable = expandableOf(step, options.forEach);
    const expanded = Boolean(expandable) && options.expanded.has(step.id);
    nodes.push({ id: step.id, dependsOn: step.dependsOn, status: step.status, detail: detailOf(step, expandable, options.waits?.get(step.id)), ...(expandable && { expandable, expanded }) });
    if (!expanded) continue;
    if (expandable === 'items') pushItems(step, options.items?.get(step.id), nodes, targets);
    else if (expandable === 'child') pushChild(step, options.childRuns, nodes, targets);
    else if (expandable === 'turns') {
      const turns = step.turns ?? [];
      pushChain(step, turns.map((t) => ({ id: `${step.id}#${t.turn}`, status: t.status, detail: t.agent })), 'no turns yet', nodes, targets);
    } else {
      const iterations = step.iterations ?? [];
      pushChain(step, iterations.map((i) => ({ id: `${step.id}@${i.iteration}`, status: i.status, detail: `iteration ${i.iteration}` })), 'no iterations yet', nodes, targets);
    }
  }
  return { steps: nodes, targets };
}

function expandableOf(step: Step, forEach: ReadonlySet<string>): GraphStep['expandable'] {
  if (forEach.has(step.id)) return 'items';
  if (step.type === 'orchestration') return 'child';
  if (step.turns) return 'turns';
  if (step.iterations) return 'iterations';
  return undefined;
}

function detailOf(step: Step, expandable: GraphStep['expandable'], waitsFor?: string): string | undefined {
  if (step.status === 'skipped' && step.skip_reason) return `skipped: ${step.skip_reason}`;
  if (step.type === 'wait' && waitsFor) return `wait · ${waitsFor}`;
  if (expandable === 'items') return `for_each · ${step.agent ?? 'agent'}`;
  if (expandable === 'turns') return `${step.pattern ?? 'pattern'} · ${step.turns!.length} turns`;
  if (expandable === 'iterations') return `loop · iteration ${step.iteration ?? step.iterations!.length}`;
  return step.type === 'agent' ? step.agent ?? undefined : step.type;
}

function pushItems(step: Step, progress: ItemProgress | undefined, nodes: GraphStep[], targets: Map<string, SubTarget>): void {
  const add = (id: string, label: string, status: string, detail: string) => {
    nodes.push({ id, label, dependsOn: [step.id], status, detail, sub: true });
    targets.set(id, { kind: 'item', parent: step.id });
  };
  if (!Array.isArray(step.output)) {
    // Not ended (or ended without items): the progress events of its latest attempt, if any.
    if (progress && progress.total > 0 && !['completed', 'skipped'].includes(step.status)) {
      for (let index = 0; index < Math.min(progress.total, MAX_ITEMS); index++) {
        const status = progress.status.get(index) ?? 'pending';
        add(`${step.id}[${index}]`, `${step.id}[${index}]`, status, progress.errors.get(index) ?? (status === 'pending' ? 'not started' : status));
      }
      if (progress.total > MAX_ITEMS) add(`${step.id}[+]`, `${step.id}[${MAX_ITEMS}…]`, step.status, `${progress.total - MAX_ITEMS} more items`);
      return;
    }
    const detail = step.status === 'completed' ? 'no items' : ['failed', 'cancelled', 'skipped'].includes(step.status) ? 'items not recorded' : 'items in progress';
    return add(`${step.id}[…]`, `${step.id}[…]`, step.status, detail);
  }
  const items = step.output as unknown[];
  if (items.length === 0) return add(`${step.id}[…]`, `${step.id}[]`, step.status, 'no items');
  items.slice(0, MAX_ITEMS).forEach((output, index) => add(`${step.id}[${index}]`, `${step.id}[${index}]`, 'completed', preview(output)));
  if (items.length > MAX_ITEMS) add(`${step.id}[+]`, `${step.id}[${MAX_ITEMS}…]`, 'completed', `${items.length - MAX_ITEMS} more items`);
}

/** Turns or iterations: one after the other, each selecting its step. */
function pushChain(step: Step, links: Array<{ id: string; status: string; detail: string }>, empty: string, nodes: GraphStep[], targets: Map<string, SubTarget>): void {
  if (links.length === 0) links = [{ id: `${step.id}#…`, status: step.status, detail: empty }];
  let previous = step.id;
  for (const link of links.slice(0, MAX_ITEMS)) {
    nodes.push({ id: link.id, label: link.id, dependsOn: [previous], status: link.status, detail: link.detail, sub: true });
    targets.set(link.id, { kind: 'item', parent: step.id });
    previous = link.id;
  }
  if (links.length > MAX_ITEMS) {
    const id = `${step.id}#+`;
    nodes.push({ id, label: id, dependsOn: [previous], status: step.status, detail: `${links.length - MAX_ITEMS} more`, sub: true });
    targets.set(id, { kind: 'item', parent: step.id });
  }
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
