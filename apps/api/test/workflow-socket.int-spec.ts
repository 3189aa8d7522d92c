import WebSocket from 'ws';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { waitForRun } from './support/runs.js';
import { startJsonAgent } from './support/json-agent.js';
import { openSse } from './support/sse-client.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/** The seed's example shape, its agent types served by real HTTP agents on loopback. */
const SEED_YAML = `
workflow:
  name: seed-pipeline
  version: "1.0"
  orchestration_pattern: dag
  timeout: 1h
  agents:
    - type: data-processor
      count: 3
      capabilities: [csv_parsing, json_processing]
      resources: { cpu: 500m, memory: 1Gi }
    - type: aggregator
      count: 1
      capabilities: [aggregation]
  tasks:
    - id: ingest
      agent: data-processor
      timeout: 5m
      retry_policy: exponential_backoff
      parallel: true
      input: { topic: "{{ input.topic }}" }
    - id: aggregate
      agent: aggregator
      depends_on: [ingest]
      retry_policy: none
      input: { batches: "{{ steps.ingest.output.replicas }}" }
  coordination: { communication: event_driven, max_parallel: 4 }
  fault_tolerance:
    circuit_breaker: { failure_threshold: 5, timeout: 30s }
    saga_pattern: { compensation_enabled: true, rollback_on_failure: true }
`;

interface Socket {
  ws: WebSocket;
  messages: any[];
}

/** A real `ws` client on the workflow socket that records every message. */
async function openSocket(url: string, workflowId: string, after?: string): Promise<Socket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/workflows/${workflowId}${after ? `?after=${after}` : ''}`);
  const messages: any[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, messages };
}

function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    ws.on('open', () => (ws.close(), resolve(101)));
    ws.on('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
    ws.on('error', () => resolve(-1));
  });
}

const finished = (s: Socket) => s.messages.some((m) => m.type === 'workflow.status_changed' && ['completed', 'failed', 'cancelled'].includes(m.data.phase) && !m.data.snapshot);

async function createWorkflow(url: string, doc: unknown, headers: Record<string, string> = {}): Promise<string> {
  const created = await http('POST', `${url}/api/v1/workflows`, doc, headers);
  expect(created.status).toBe(201);
  return created.body.workflow_id;
}

const delayFlow = (name: string, ms: number) => ({
  workflow: {
    name, version: '1', orchestration_pattern: 'pipeline',
    agents: [{ type: 'builtin:delay' }],
    tasks: [{ id: 'a', agent: 'builtin:delay', input: { ms } }, { id: 'b', agent: 'builtin:delay', input: { ms } }, { id: 'c', agent: 'builtin:delay', input: { ms } }],
  },
});

describe.each(testDatabaseKinds())('the workflow socket and seed events on %s', (kind) => {
  // One slot: the capacity test sees admission queue; the other tests run one execution at a time.
  const ctx = useTestServer(kind, { MAX_CONCURRENT_WORKFLOWS: '1' });
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    const subscribed = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: receiver.url, events: ['workflow.*', 'agent.task_assigned'] });
    expect(subscribed.status).toBe(201);
    receiver.secret = subscribed.body.secret;
  });
  afterAll(async () => receiver?.close());

  it('executes the seed example on loopback agents, streaming it in the seed envelope to the socket and webhooks', async () => {
    const processor = await startJsonAgent((body) => ({ processed: body.topic }));
    const aggregator = await startJsonAgent((body) => ({ total: body.batches.length, batches: body.batches }));
    try {
      for (const [name, agent] of [['data-processor', processor], ['aggregator', aggregator]] as const) {
        expect((await http('POST', `${ctx.url}/api/v1/agents`, { name, kind: 'http', url: agent.url })).status).toBe(201);
      }
      const id = await createWorkflow(ctx.url, SEED_YAML, { 'content-type': 'application/yaml' });
      const socket = await openSocket(ctx.url, id);
      // The snapshot is read after the upgrade: wait for it, or it may already show the execution.
      await waitFor(() => socket.messages.length > 0, { what: 'the snapshot' });
      const started = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, { input_data: { topic: 'sales' } });
      expect(started.status).toBe(202);
      const executionId = started.body.execution_id;
      // Assignments are appended by a durable consumer: they may follow the run's end.
      const assigned = () => socket.messages.filter((m) => m.type === 'agent.assigned').length === 5;
      await waitFor(() => finished(socket) && assigned(), { what: 'the completed phase and five assignments on the socket' });
      socket.ws.close();

      const run = await waitForRun(ctx.url, executionId);
      expect(run.status).toBe('completed');
      expect(processor.calls.map((c) => c.body)).toEqual([{ topic: 'sales' }, { topic: 'sales' }, { topic: 'sales' }]);
      expect(run.steps.find((s: any) => s.id === 'aggregate').output).toMatchObject({ total: 3 });

      const [snapshot, ...live] = socket.messages;
      expect(snapshot).toMatchObject({ type: 'workflow.status_changed', workflow_id: id, execution_id: null, data: { phase: 'validated', snapshot: true } });
      for (const m of live) expect(Object.keys(m).sort()).toEqual(['cursor', 'data', 'execution_id', 'timestamp', 'type', 'workflow_id']);
      expect(live.every((m) => m.workflow_id === id && m.execution_id === executionId && !Number.isNaN(Date.parse(m.timestamp)))).toBe(true);
      const phases = live.filter((m) => m.type === 'workflow.status_changed').map((m) => m.data.phase);
      // `planning` (workflow.execution_started) commits just after the run: when the run has
      // already started by then, the socket leaves it out rather than step back a phase.
      expect(phases.filter((p) => p !== 'planning')).toEqual(['executing', 'completed']);
      expect(phases.indexOf('planning')).toBeLessThanOrEqual(0);
      const steps = ['aggregate', 'ingest', 'ingest_r1', 'ingest_r2', 'ingest_r3'];
      const tasksOf = (type: string) => live.filter((m) => m.type === type).map((m) => m.data.task_id).sort();
      expect(tasksOf('task.started')).toEqual(steps);
      expect(tasksOf('task.completed')).toEqual(steps);
      expect(tasksOf('agent.assigned')).toEqual(steps);
      expect(live.find((m) => m.type === 'agent.assigned' && m.data.task_id === 'aggregate').data).toMatchObject({ agent: 'aggregator', attempt: 1 });
      const cursors = live.map((m) => m.cursor);
      expect(new Set(cursors).size).toBe(cursors.length);

      // The same events reach webhooks (and every stream of the log).
      const delivered = await waitFor(() => {
        const types = receiver.forRun(executionId).map((d) => d.eventType);
        return types.filter((t) => t === 'agent.task_assigned').length === 5 && types.includes('workflow.execution_started') ? types : undefined;
      }, { what: 'the workflow events delivered to the webhook' });
      expect(delivered.sort()).toEqual(['agent.task_assigned', 'agent.task_assigned', 'agent.task_assigned', 'agent.task_assigned', 'agent.task_assigned', 'workflow.execution_started']);
    } finally {
      await processor.close();
      await aggregator.close();
    }
  });

  it('resumes after a disconnect from the last cursor, without losing or repeating a message', async () => {
    const id = await createWorkflow(ctx.url, delayFlow('resumable-flow', 150));
    const first = await openSocket(ctx.url, id);
    const start = first.messages[0]?.cursor ?? (await waitFor(() => first.messages[0])).cursor;
    const started = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, {});
    await waitFor(() => first.messages.some((m) => m.type === 'task.completed' && m.data.task_id === 'a'), { what: 'task a completed' });
    first.ws.terminate(); // a dropped connection, not a goodbye
    const seen = first.messages.slice(1);
    const last = seen.at(-1).cursor;
    expect((await waitForRun(ctx.url, started.body.execution_id)).status).toBe('completed');
    // The assignments (a durable consumer's) may trail the run's end: let them land first.
    await waitFor(async () => {
      const { rows } = await ctx.database.db.query<{ n: number }>(`select count(*)::int as n from orchestration_events where run_id = $1::uuid and type = 'agent.task_assigned'`, [started.body.execution_id]);
      return rows[0]!.n === 3;
    }, { what: 'three assignments in the log' });

    const resumed = await openSocket(ctx.url, id, last);
    await waitFor(() => finished(resumed), { what: 'the end on the resumed socket' });
    const whole = await openSocket(ctx.url, id, start);
    await waitFor(() => finished(whole), { what: 'the end from the start' });
    resumed.ws.close();
    whole.ws.close();

    expect(resumed.messages[0].data.snapshot).toBeUndefined(); // a resumed socket sends no snapshot
    const joined = [...seen, ...resumed.messages].map((m) => `${m.cursor} ${m.type} ${m.data.task_id ?? m.data.phase}`);
    expect(joined).toEqual(whole.messages.map((m) => `${m.cursor} ${m.type} ${m.data.task_id ?? m.data.phase}`));
    expect(resumed.messages.length).toBeGreaterThan(0);
    expect(joined.filter((m) => m.includes('task.completed'))).toHaveLength(3);
  });

  it('sends a checkpoint with the state and how to recover when the execution is paused', async () => {
    const id = await createWorkflow(ctx.url, delayFlow('pausable-flow', 1500));
    const socket = await openSocket(ctx.url, id);
    const started = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, {});
    const runId = started.body.execution_id;
    await waitFor(() => socket.messages.some((m) => m.type === 'task.started'), { what: 'task a started' });
    const paused = await http('POST', `${ctx.url}/api/v1/workflows/${id}/pause`);
    expect(paused.status).toBe(200);
    const checkpoint = await waitFor(() => socket.messages.find((m) => m.type === 'checkpoint.created'), { what: 'checkpoint.created' });
    // The pause answer names the checkpoint the consumer recorded afterwards.
    expect(checkpoint.data.checkpoint_id).toBe(paused.body.checkpoint_id);
    socket.ws.close();
    expect(checkpoint).toMatchObject({ workflow_id: id, execution_id: runId, data: { reason: 'paused', recovery: { method: 'POST', url: `/api/v1/runs/${runId}/resume` } } });
    expect(checkpoint.data.snapshot.remaining).toEqual(expect.arrayContaining(['b', 'c']));
    expect(checkpoint.data.snapshot.steps.map((s: any) => s.key).sort()).toEqual(['a', 'b', 'c']);
    expect(socket.messages.some((m) => m.type === 'workflow.status_changed' && m.data.phase === 'paused')).toBe(true);
    // The run's own SSE stream carries the workflow events beside Baton's.
    const sse = await openSse(`${ctx.url}/api/v1/runs/${runId}/events`);
    const { frames } = await sse.collect((f) => f.event === 'workflow.checkpoint_created', 10_000);
    sse.close();
    expect(frames.map((f) => f.event).filter((t) => !t.startsWith('run.') && !t.startsWith('step.'))).toEqual(['workflow.execution_started', 'agent.task_assigned', 'workflow.checkpoint_created']);
    await http('POST', `${ctx.url}/api/v1/runs/${runId}/cancel`, {});
    await waitForRun(ctx.url, runId);
  });

  it('refuses an unknown workflow and a malformed cursor before upgrading', async () => {
    expect(await upgradeStatus(`${ctx.url}/ws/workflows/00000000-0000-4000-8000-000000000000`)).toBe(404);
    expect(await upgradeStatus(`${ctx.url}/ws/workflows/not-a-uuid`)).toBe(400);
    const id = await createWorkflow(ctx.url, delayFlow('cursor-flow', 10));
    expect(await upgradeStatus(`${ctx.url}/ws/workflows/${id}?after=yesterday`)).toBe(400);
  });

  it('translates a supervisor team and runs it with a loopback supervisor', async () => {
    const planner = await startJsonAgent((_body, call) => (call === 1 ? { next: 'builtin_echo', input: { note: 'go' } } : { next: 'FINISH', output: { done: true } }));
    try {
      expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'planner', kind: 'http', url: planner.url })).status).toBe(201);
      const doc = { workflow: { name: 'team-flow', version: '1', orchestration_pattern: 'supervisor', agents: [{ type: 'planner' }, { type: 'builtin:echo' }], team: { max_turns: 4 } } };
      const id = await createWorkflow(ctx.url, doc);
      const started = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, { input_data: { goal: 'x' } });
      const run = await waitForRun(ctx.url, started.body.execution_id);
      expect(run.status).toBe('completed');
      expect(run.steps.find((s: any) => s.id === 'team').output).toEqual({ done: true });
      expect(planner.calls).toHaveLength(2);
    } finally {
      await planner.close();
    }
  });

  it('reports capacity from admission, and serves the seed metrics', async () => {
    const idle = await http('GET', `${ctx.url}/api/v1/workflow-capacity`);
    expect(idle.body).toMatchObject({ slots: { total: 1, in_use: 0, available: 1 }, queue_depth: 0, admission: 'open' });
    const id = await createWorkflow(ctx.url, delayFlow('busy-flow', 2000));
    const one = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, {});
    await waitForRun(ctx.url, one.body.execution_id, (r) => r.status === 'running');
    const two = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, {});
    const busy = await http('GET', `${ctx.url}/api/v1/workflow-capacity`);
    expect(busy.body).toMatchObject({ slots: { total: 1, in_use: 1, available: 0 }, queue_depth: 1, admission: 'queueing' });
    // The bare path the issue names answers the same.
    expect((await http('GET', `${ctx.url}/workflow-capacity`)).body).toEqual(busy.body);
    for (const run of [two, one]) await http('POST', `${ctx.url}/api/v1/runs/${run.body.execution_id}/cancel`, {});

    const metrics = (await fetch(`${ctx.url}/metrics`).then((r) => r.text())).split('\n').filter((l) => /^orchestration_(completion|coordination|planning|stream|event_consumer)/.test(l)).join('\n');
    // Three executions completed, the paused one was cancelled: a rate strictly between 0 and 1.
    expect(metrics).toMatch(/^orchestration_completion_rate 0\.\d+$/m);
    for (const name of ['orchestration_coordination_latency_seconds_count', 'orchestration_planning_seconds_count']) {
      expect(metrics).toMatch(new RegExp(`^${name} [1-9]`, 'm'));
    }
    expect(metrics).toMatch(/^orchestration_stream_events_total\{type="agent.task_assigned"\} [1-9]/m);
    expect(metrics).toMatch(/^orchestration_event_consumer_lag_events\{consumer="workflows.seed-events"\} \d+/m);
  });
});
