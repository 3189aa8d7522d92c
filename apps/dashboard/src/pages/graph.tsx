import { memo, useEffect, useMemo, useRef } from 'react';
import { Background, Controls, MiniMap, Position, ReactFlow, useReactFlow, type Edge, type Node, type NodeChange, type NodeMouseHandler } from '@xyflow/react';
import dagre from '@dagrejs/dagre';
import '@xyflow/react/dist/style.css';

/** What the graph needs of a step: a run's step, or a definition's (no status). */
export interface GraphStep {
  id: string;
  dependsOn: string[];
  status?: string;
  label?: string;
  detail?: string;
  /**
   * What an unfoldable step holds: a `for_each` step its items, an orchestration step its
   * child run's steps, a pattern step its turns, a looping step its iterations.
   */
  expandable?: 'items' | 'child' | 'turns' | 'iterations';
  expanded?: boolean;
  /** A node inside an unfolded step (an item or a child run's step), drawn smaller. */
  sub?: boolean;
}

const NODE_WIDTH = 168;
const NODE_HEIGHT = 44;

/**
 * Dependencies left to right, laid out by dagre. The layout depends only on the graph's shape
 * (ids and edges), so a status change re-colours nodes without laying out again; node objects
 * are reused for steps whose status did not change, which keeps a 1,000-step run responsive.
 */
export const StepGraph = memo(function StepGraph(props: {
  steps: GraphStep[];
  selected?: string | null;
  onSelect?: (id: string) => void;
  /** Unfold or fold an expandable step. Read through a ref so cached nodes keep working. */
  onToggle?: (id: string) => void;
  height?: number;
}) {
  const { steps, selected, onSelect } = props;
  const toggleRef = useRef(props.onToggle);
  toggleRef.current = props.onToggle;
  const toggle = useRef((id: string) => toggleRef.current?.(id)).current;
  const shape = useMemo(() => steps.map((s) => `${s.id}<${s.dependsOn.join(',')}`).join(';'), [steps]);
  const layout = useMemo(() => layoutSteps(steps), [shape]); // eslint-disable-line react-hooks/exhaustive-deps

  const cache = useRef(new Map<string, { key: string; node: Node }>());
  const nodes = useMemo<Node[]>(() => {
    const next = new Map<string, { key: string; node: Node }>();
    const list = steps.map((step) => {
      const position = layout.positions.get(step.id) ?? { x: 0, y: 0 };
      const key = `${step.status}|${step.id === selected}|${position.x},${position.y}|${step.detail}|${step.expandable}|${step.expanded}`;
      const cached = cache.current.get(step.id);
      const node: Node =
        cached && cached.key === key
          ? cached.node
          : {
              id: step.id,
              position,
              data: { label: <NodeLabel step={step} onToggle={toggle} /> },
              className: `step status-${step.status ?? 'none'}${step.sub ? ' sub' : ''}${step.expandable ? ' expandable' : ''}`,
              selected: step.id === selected,
              sourcePosition: Position.Right,
              targetPosition: Position.Left,
              draggable: false,
              connectable: false,
              width: NODE_WIDTH,
              height: NODE_HEIGHT,
              ariaLabel: `step ${step.id}${step.status ? `, ${step.status}` : ''}`,
            };
      next.set(step.id, { key, node });
      return node;
    });
    cache.current = next;
    return list;
  }, [steps, layout, selected]);

  const big = steps.length > 150;
  const onNodeClick: NodeMouseHandler = (_, node) => onSelect?.(node.id);
  // Nodes are controlled: a selection made with the keyboard (Enter on a focused node) arrives here.
  const onNodesChange = (changes: NodeChange[]) => {
    const chosen = changes.find((change) => change.type === 'select' && change.selected);
    if (chosen && 'id' in chosen && chosen.id !== selected) onSelect?.(chosen.id);
  };
  return (
    <div className="graph" style={{ height: props.height ?? 420 }} data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={layout.edges}
        onNodeClick={onNodeClick}
        onNodesChange={onNodesChange}
        fitView={!big}
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        defaultViewport={{ x: 16, y: 16, zoom: 0.8 }}
        minZoom={0.05}
        maxZoom={2}
        onlyRenderVisibleElements={big}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={Boolean(onSelect)}
        proOptions={{ hideAttribution: false }}
      >
        <Background gap={24} />
        {!big && <FitOnShape shape={shape} />}
        <Controls showInteractive={false} />
        {!big && <MiniMap pannable zoomable nodeClassName={(node) => node.className ?? ''} />}
      </ReactFlow>
    </div>
  );
});

/** Fits the view again when the graph's shape changes (a step unfolded or folded), not on status changes. */
function FitOnShape({ shape }: { shape: string }) {
  const { fitView } = useReactFlow();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // After React Flow has taken the new nodes in.
    const timer = setTimeout(() => void fitView({ maxZoom: 1, padding: 0.2, duration: 150 }), 0);
    return () => clearTimeout(timer);
  }, [shape, fitView]);
  return null;
}

function NodeLabel({ step, onToggle }: { step: GraphStep; onToggle: (id: string) => void }) {
  const { id, detail, status, expandable, expanded } = step;
  const what = expandable === 'child' ? 'child run' : expandable;
  return (
    <div className="node-label" title={`${step.label ?? id}${status ? ` (${status})` : ''}`}>
      <strong>{step.label ?? id}</strong>
      {detail && <small>{detail}</small>}
      {expandable && (
        <button
          type="button"
          className="node-toggle nodrag nopan"
          aria-expanded={Boolean(expanded)}
          aria-label={`${expanded ? 'Fold' : 'Unfold'} the ${what} of ${id}`}
          title={`${expanded ? 'Fold' : 'Unfold'} the ${what}`}
          // The node's own click selects it; the toggle only unfolds.
          onClick={(event) => {
            event.stopPropagation();
            onToggle(id);
          }}
          onKeyDown={(event) => event.stopPropagation()}
        >
          {expanded ? '−' : '+'}
        </button>
      )}
    </div>
  );
}

function layoutSteps(steps: GraphStep[]): { positions: Map<string, { x: number; y: number }>; edges: Edge[] } {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((s) => s.id));
  const edges: Edge[] = [];
  for (const step of steps) graph.setNode(step.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!ids.has(dep)) continue;
      graph.setEdge(dep, step.id);
      edges.push({ id: `${dep}->${step.id}`, source: dep, target: step.id, focusable: false });
    }
  }
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const step of steps) {
    const node = graph.node(step.id);
    positions.set(step.id, { x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2 });
  }
  return { positions, edges };
}
