import { describeCycle, indexGraph, planIndexed, type GraphNode, type GraphPlan, type IndexedGraph } from '../graph/step-graph.js';
import { areUpstream, type UpstreamQuery } from '../graph/upstream.js';
import type { Issues } from './field-reader.js';
import { dependencyPath, type ReadStep } from './step-reader.js';

/** A step with an id; its own object is the graph node unless it names itself as a dependency. */
interface Node extends GraphNode {
  step: ReadStep;
}

/** A sound graph: its plan, and the steps in the plan's order. */
export interface CheckedGraph {
  plan: GraphPlan;
  ordered: ReadStep[];
}

/**
 * Checks what needs the whole step list: duplicate ids, dependencies on missing steps or on
 * the step itself, cycles, and template references to steps that are not upstream.
 * Returns the plan when the graph itself is sound. One id → node map serves every check.
 */
export function checkGraph(steps: readonly ReadStep[], issues: Issues): CheckedGraph | undefined {
  const { nodes, position } = uniqueNodes(steps, issues);
  for (const step of steps) {
    step.dependsOn.forEach((dep, i) => {
      if (dep === step.id) issues.add(dependencyPath(step, i), 'a step cannot depend on itself');
      else if (!position.has(dep)) issues.add(dependencyPath(step, i), `unknown step "${dep}"`);
    });
  }
  const graph = indexGraph(nodes, position);
  const result = planIndexed(nodes, graph);
  if (!result.ok) {
    for (const cycle of result.cycles) reportCycle(cycle, nodes, issues);
  }
  checkReferences(nodes, position, result.ok ? graph : undefined, issues);
  return result.ok ? { plan: result.plan, ordered: graph.order.map((i) => nodes[i]!.step) } : undefined;
}

/** Steps with a valid id, first occurrence of each (later duplicates are reported), and each id's node index. */
function uniqueNodes(steps: readonly ReadStep[], issues: Issues): { nodes: Node[]; position: Map<string, number> } {
  const position = new Map<string, number>();
  const nodes: Node[] = [];
  for (const step of steps) {
    if (step.id === undefined) continue;
    const first = position.get(step.id);
    if (first !== undefined) {
      issues.add(`${step.path}.id`, `duplicate step id "${step.id}" (first used by steps[${nodes[first]!.step.index}])`);
      continue;
    }
    position.set(step.id, nodes.length);
    // Self-dependencies are reported above; leaving them in would also report a cycle.
    const deps = step.dependsOn.includes(step.id) ? step.dependsOn.filter((id) => id !== step.id) : step.dependsOn;
    nodes.push({ id: step.id, dependsOn: deps, step });
  }
  return { nodes, position };
}

/** Reported at the dependency that closes the loop: the first step's entry for the last. */
function reportCycle(cycle: string[], nodes: Node[], issues: Issues): void {
  const first = nodes.find((node) => node.id === cycle[0])!;
  const closing = first.step.dependsOn.indexOf(cycle[cycle.length - 1]!);
  issues.add(dependencyPath(first.step, closing), describeCycle(cycle));
}

function checkReferences(nodes: Node[], position: ReadonlyMap<string, number>, graph: IndexedGraph | undefined, issues: Issues): void {
  const queries: Array<UpstreamQuery & { path: string; id: string }> = [];
  nodes.forEach((node, i) => {
    for (const { path, expr } of node.step.expressions) {
      if (expr.stepId === undefined) continue;
      const target = position.get(expr.stepId);
      if (target === undefined) issues.add(path, `references unknown step "${expr.stepId}"`);
      // A loop's later iterations and its `until` see the earlier ones.
      else if (target === i) {
        if (!node.step.loop) issues.add(path, `a step cannot reference its own ${expr.path[1]}`);
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
