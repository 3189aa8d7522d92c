import { randomUUID } from 'node:crypto';
import type { Message, Part, Task } from 'a2a-sdk-v03';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  TaskNotCancelableError,
  TaskNotFoundError,
  type Client,
} from 'a2a-sdk-v03/client';
import { testDatabaseKinds } from '@baton/testing';
import { checkV03 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
import { recordingFetch, resultsOf } from '../../../libs/a2a/src/testing/recording-fetch.js';
import { useTestServer } from './support/test-app.js';

const message = (parts: Part[], extra: Partial<Message> = {}): Message => ({ kind: 'message', role: 'user', messageId: randomUUID(), parts, ...extra });
const plan = (ms: number) => ({ steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms, output: { waited: ms } } }] });
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

function asTask(result: unknown): Task {
  expect((result as Task).kind).toBe('task');
  return result as Task;
}

/** v0.3 wire shapes: `kind` discriminators, lower-case states, `final` on status updates. */
const V03_SCHEMAS: Record<string, Record<string, string>> = {
  'message/send': { task: 'Task' },
  'tasks/get': { task: 'Task' },
  'tasks/cancel': { task: 'Task' },
  'message/stream': { task: 'Task', 'status-update': 'TaskStatusUpdateEvent', 'artifact-update': 'TaskArtifactUpdateEvent' },
  'tasks/resubscribe': { task: 'Task', 'status-update': 'TaskStatusUpdateEvent', 'artifact-update': 'TaskArtifactUpdateEvent' },
};

describe.each(testDatabaseKinds())('the A2A gateway, driven by the v0.3 SDK client, on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });
  let client: Client;
  let wire: ReturnType<typeof recordingFetch>;

  beforeAll(async () => {
    wire = recordingFetch();
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl: wire.fetch })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl: wire.fetch }),
      }),
    );
    client = await factory.createFromUrl(ctx.url);
  });

  afterEach(async () => {
    for (const exchange of wire.exchanges.splice(0)) {
      expect(exchange.headers['a2a-version']).toBeUndefined();
      const schemas = V03_SCHEMAS[exchange.method];
      if (!schemas) continue;
      for (const result of await resultsOf(exchange)) {
        const kind = (result as { kind: string }).kind;
        expect(schemas[kind]).toBeDefined();
        expect(checkV03(schemas[kind]!, result)).toEqual([]);
      }
    }
  });

  it('reads the v0.3 card', async () => {
    const card = await client.getAgentCard();
    expect(card).toMatchObject({ protocolVersion: '0.3.0', url: `${ctx.url}/a2a`, capabilities: { streaming: true, pushNotifications: true } });
    expect(card.skills.map((s) => s.id)).toContain('orchestrate-plan');
  });

  it('sends (blocking) and gets the task', async () => {
    const task = asTask(await client.sendMessage({ message: message([{ kind: 'data', data: { plan: plan(10), input: {} } }], { contextId: 'ctx-v03' }) }));
    expect(task).toMatchObject({ contextId: 'ctx-v03', status: { state: 'completed' } });
    expect(task.artifacts?.[0]).toMatchObject({ artifactId: 'wait', parts: [{ kind: 'data', data: { waited: 10 } }] });
    const read = await client.getTask({ id: task.id });
    expect(read.status.state).toBe('completed');
  });

  it('returns at once with blocking false, and cancels', async () => {
    const task = asTask(await client.sendMessage({ message: message([{ kind: 'data', data: { plan: plan(20_000) } }]), configuration: { blocking: false } }));
    expect(['submitted', 'working']).toContain(task.status.state);
    const cancelled = await client.cancelTask({ id: task.id });
    expect(cancelled.status).toMatchObject({ state: 'canceled', message: { kind: 'message', role: 'agent' } });
    await expect(client.cancelTask({ id: task.id })).rejects.toBeInstanceOf(TaskNotCancelableError);
    await expect(client.getTask({ id: randomUUID() })).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it('streams a send with the final flag, and continues a checkpoint', async () => {
    const events: any[] = [];
    for await (const event of client.sendMessageStream({ message: message([{ kind: 'data', data: { plan: plan(100) } }]) })) events.push(event);
    expect(events[0].kind).toBe('task');
    expect(events[events.length - 1]).toMatchObject({ kind: 'status-update', final: true, status: { state: 'completed' } });
    expect(events.some((e) => e.kind === 'artifact-update')).toBe(true);

    const waiting = asTask(await client.sendMessage({ message: message([{ kind: 'data', data: { plan: reviewPlan } }]) }));
    expect(waiting.status.state).toBe('input-required');
    const done = asTask(await client.sendMessage({ message: message([{ kind: 'data', data: { decision: 'approve' } }], { taskId: waiting.id, contextId: waiting.contextId }) }));
    expect(done.status.state).toBe('completed');
    expect(done.artifacts?.[0]).toMatchObject({ artifactId: 'review', parts: [{ kind: 'data', data: { draft: { title: 'Tides' } } }] });
  });
});
