import { addOnce, cyclesOf, describeCycle, graphOf, planOf, seenSetFor, type GraphPlan, type IndexedGraph } from '../graph/step-graph.js';
import { areUpstream, type UpstreamQuery } from '../graph/upstream.js';
import type { Issues } from './field-reader.js';
import { dependencyPath, type ReadStep } from './step-reader.js';

/** A step with an id, the first with it: a node of the graph. */
type Node = ReadStep & { id: string };

/** A sound graph: the steps in the plan's order, and the plan itself, built on first call. */
export interface CheckedGraph {
  /** Storing a definition needs only the order; the plan's id lists and map are built when asked for. */
  plan(): GraphPlan;
  ordered: ReadStep[];
}

/**
 * Checks what needs the whole step list: duplicate ids, dependencies on missing steps or on
 * the step itself, cycles, and template references to steps that are not upstream.
 * Returns the plan when the graph itself is sound. One id → node map serves every check,
 * and each dependency is looked up in it once.
 */
export function checkGraph(steps: readonly ReadStep[], issues: Issues): CheckedGraph | undefined {
  const { nodes, position } = uniqueNodes(steps, issues);
  const graph = graphOf(resolveDependencies(steps, nodes, position, issues));
  const cycles = cyclesOf(nodes, graph);
  for (const cycle of cycles ?? []) reportCycle(cycle, nodes, issues);
  checkReferences(nodes, position, cycles ? undefined : graph, issues);
  if (cycles) return undefined;
  let plan: GraphPlan | undefined;
  return { plan: () => (plan ??= planOf(nodes, graph)), ordered: graph.order.map((i) => nodes[i]!) };
}

/** Steps with a valid id, first occurrence of each (later duplicates are reported), and each id's node index. */
function uniqueNodes(steps: readonly ReadStep[], issues: Issues): { nodes: Node[]; position: Map<string, number> } {
  const position = new Map<string, number>();
  const nodes: Node[] = [];
  for (const step of steps) {
    if (step.id === undefined) continue;
    const first = position.get(step.id);
    if (first !== undefined) {
      issues.add(`${step.path}.id`, `duplicate step id "${step.id}" (first used by steps[${nodes[first]!.index}])`);
      continue;
    }
    position.set(step.id, nodes.length);
    nodes.push(step as Node);
  }
  return { nodes, position };
}

/**
 * Reports every step's dependencies on itself or on unknown ids, and returns each node's
 * dependencies as node indices (`deps[i]` for `nodes[i]`), each once. Self-dependencies are
 * left out: reported here, they would also make a cycle.
 */
function resolveDependencies(steps: readonly ReadStep[], nodes: readonly Node[], position: ReadonlyMap<string, number>, issues: Issues): number[][] {
  const deps: number[][] = [];
  // `nodes` is a subsequence of `steps` (first occurrences): the next node is the next step kept.
  let next = 0;
  for (const step of steps) {
    const own = nodes[next] === step ? [] : undefined;
    if (own) next++;
    const seen = own && seenSetFor(step.dependsOn.length);
    const written = step.dependsOn;
    for (let i = 0; i < written.length; i++) {
      const id = written[i]!;
      if (id === step.id) {
        issues.add(dependencyPath(step, i), 'a step cannot depend on itself');
        continue;
      }
      const dep = position.get(id);
      if (dep === undefined) issues.add(dependencyPath(step, i), `unknown step "${id}"`);
      else if (own) addOnce(own, dep, seen);
    }
    if (own) deps.push(own);
  }
  return deps;
}

/** Reported at the dependency that closes the loop: the first step's entry for the last. */
function reportCycle(cycle: string[], nodes: Node[], issues: Issues): void {
  const first = nodes.find((node) => node.id === cycle[0])!;
  const closing = first.dependsOn.indexOf(cycle[cycle.length - 1]!);
  issues.add(dependencyPath(first, closing), describeCycle(cycle));
}

function checkReferences(nodes: Node[], position: ReadonlyMap<string, number>, graph: IndexedGraph | undefined, issues: Issues): void {
  const queries: Array<UpstreamQuery & { path: string; id: string }> = [];
  nodes.forEach((node, i) => {
    for (const { path, expr } of node.expressions) {
      if (expr.stepId === undefined) continue;
      const target = position.get(expr.stepId);
      if (target === undefined) issues.add(path, `references unknown step "${expr.stepId}"`);
      // A loop's later iterations and its `until` see the earlier ones.
      else if (target === i) {
        if (!node.loop) issues.add(path, `a step cannot reference its own ${expr.path[1]}`);
      }
      else queries.push({ step: i, target, path, id: expr.stepId });
    }
  });
  // Without an order (a cycle) "upstream" is undefined; the cycle error says enough.
  if (!graph || queries.length === 0) return;
  const answers = areUpstream(graph.order, graph.deps, queries);
  queries.forEach((query, i) => {
    if (!answers[i]) {
      issues.add(query.path, `references step "${query.id}", which is not upstream of "${nodes[query.step]!.id}" (add it to depends_on)`);
    }
  });
}
