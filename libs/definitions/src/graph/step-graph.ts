/**
 * Planning over the step graph: topological order (Kahn, O(V+E)), the steps each step
 * unblocks, the sinks, and named cycles when there is no order. Edges point from a
 * dependency to its dependent, the way data flows.
 */

export interface GraphNode {
  id: string;
  dependsOn: readonly string[];
}

export interface GraphPlan {
  /** Step ids, dependencies before dependents; ties keep declaration order. */
  order: string[];
  /** For each step id: the steps that depend on it directly. */
  dependents: Map<string, string[]>;
  /** Steps nothing depends on; their outputs are the natural result of a run. */
  sinks: string[];
}

export type GraphResult = { ok: true; plan: GraphPlan } | { ok: false; cycles: string[][] };

/** The graph by index: direct dependencies, dependents, and as much of a topological order as exists. */
export interface IndexedGraph {
  deps: number[][];
  dependents: number[][];
  /** Complete (one entry per node) unless there is a cycle. */
  order: number[];
}

/**
 * Plans `nodes`. Ids must be unique; dependencies on unknown ids are ignored (validation
 * reports them separately). On failure returns every disjoint cycle, each as the ids in flow
 * order starting with the earliest-declared step: [a, b, c] reads `a -> b -> c -> a`.
 */
export function planGraph(nodes: readonly GraphNode[]): GraphResult {
  return planIndexed(nodes, indexGraph(nodes));
}

/** `position` (id → index in `nodes`) may be passed when the caller has it already. */
export function indexGraph(nodes: readonly GraphNode[], position?: ReadonlyMap<string, number>): IndexedGraph {
  return graphOf(indexDependencies(nodes, position ?? positionsOf(nodes)));
}

/**
 * The graph of dependencies already resolved to indices: `deps[i]` lists, once each, the
 * nodes node i depends on (validation resolves them while it checks each id).
 */
export function graphOf(deps: number[][]): IndexedGraph {
  const dependents: number[][] = [];
  for (let i = 0; i < deps.length; i++) dependents.push([]);
  for (let i = 0; i < deps.length; i++) {
    for (const dep of deps[i]!) dependents[dep]!.push(i);
  }
  return { deps, dependents, order: kahn(deps, dependents) };
}

/** `planGraph` over an already indexed graph (validation reuses the index for its own checks). */
export function planIndexed(nodes: readonly GraphNode[], graph: IndexedGraph): GraphResult {
  const cycles = cyclesOf(nodes, graph);
  return cycles ? { ok: false, cycles } : { ok: true, plan: planOf(nodes, graph) };
}

/** Every disjoint cycle (see `planGraph`) when the graph has no complete order; undefined when it has one. */
export function cyclesOf(nodes: readonly Pick<GraphNode, 'id'>[], graph: IndexedGraph): string[][] | undefined {
  const { deps, order } = graph;
  if (order.length === nodes.length) return undefined;
  const done = new Uint8Array(nodes.length);
  for (const index of order) done[index] = 1;
  return findCycles(deps, done).map((cycle) => cycle.map((i) => nodes[i]!.id));
}

/** The plan of a graph with a complete order (no cycles). */
export function planOf(nodes: readonly Pick<GraphNode, 'id'>[], graph: IndexedGraph): GraphPlan {
  const { dependents, order } = graph;
  // Plain loops: at 10,000 steps a callback per node (and one per node's list) shows in profiles.
  const dependentsById = new Map<string, string[]>();
  const sinks: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const own = dependents[i]!;
    const ids: string[] = [];
    for (const d of own) ids.push(nodes[d]!.id);
    dependentsById.set(nodes[i]!.id, ids);
    if (own.length === 0) sinks.push(nodes[i]!.id);
  }
  const orderIds: string[] = [];
  for (const i of order) orderIds.push(nodes[i]!.id);
  return { order: orderIds, dependents: dependentsById, sinks };
}

function positionsOf(nodes: readonly GraphNode[]): Map<string, number> {
  const position = new Map<string, number>();
  nodes.forEach((node, i) => position.set(node.id, i));
  return position;
}

/** Each node's dependencies as indices; unknown ids are skipped, duplicate edges collapse to one. */
function indexDependencies(nodes: readonly GraphNode[], position: ReadonlyMap<string, number>): number[][] {
  const deps: number[][] = [];
  for (const node of nodes) {
    const own: number[] = [];
    const seen = seenSetFor(node.dependsOn.length);
    for (const id of node.dependsOn) {
      const dep = position.get(id);
      if (dep !== undefined) addOnce(own, dep, seen);
    }
    deps.push(own);
  }
  return deps;
}

/** Most dependency lists are short, where includes() beats allocating a Set per step; a long one gets a Set. */
export function seenSetFor(written: number): Set<number> | undefined {
  return written > 16 ? new Set<number>() : undefined;
}

/** Appends `dep` to `list` unless it is there already (`seen`, when given, mirrors `list`). */
export function addOnce(list: number[], dep: number, seen: Set<number> | undefined): void {
  if (seen ? seen.has(dep) : list.includes(dep)) return;
  seen?.add(dep);
  list.push(dep);
}

function kahn(deps: number[][], dependents: number[][]): number[] {
  const waiting = deps.map((list) => list.length);
  const order: number[] = [];
  for (let i = 0; i < deps.length; i++) if (waiting[i] === 0) order.push(i);
  // `order` doubles as the queue: entries before `head` are done, after it are ready.
  for (let head = 0; head < order.length; head++) {
    for (const next of dependents[order[head]!]!) {
      if (--waiting[next]! === 0) order.push(next);
    }
  }
  return order;
}

/**
 * Every step Kahn could not order has at least one unordered dependency, so walking
 * unordered dependencies from any of them must revisit a step: that loop is a cycle.
 * Each step is walked once (state 2 = finished), so this is O(V+E) too.
 */
function findCycles(deps: number[][], done: Uint8Array): number[][] {
  const state = new Uint8Array(deps.length); // 0 new, 1 on the current walk, 2 finished
  const cycles: number[][] = [];
  for (let start = 0; start < deps.length; start++) {
    if (done[start] || state[start]) continue;
    const walk: number[] = [];
    let current = start;
    while (state[current] === 0) {
      state[current] = 1;
      walk.push(current);
      current = deps[current]!.find((dep) => !done[dep])!;
    }
    if (state[current] === 1) cycles.push(toFlowOrder(walk.slice(walk.indexOf(current))));
    for (const index of walk) state[index] = 2;
  }
  return cycles;
}

/** The walk follows dependencies (against the flow); reverse it and start at the earliest step. */
function toFlowOrder(walk: number[]): number[] {
  const flow = walk.reverse();
  let first = 0;
  for (let i = 1; i < flow.length; i++) if (flow[i]! < flow[first]!) first = i;
  return [...flow.slice(first), ...flow.slice(0, first)];
}

/** `a -> b -> c -> a` */
export function describeCycle(cycle: readonly string[]): string {
  return `cycle: ${[...cycle, cycle[0]].join(' -> ')}`;
}
