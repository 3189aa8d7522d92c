import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request } from 'express';
import { AGENT_CARD_PATH, Role, TaskState, type AgentCard, type Message, type Part, type Task } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import type { AgentCard as V03AgentCard, Part as V03Part, Task as V03Task, TaskState as V03TaskState } from 'a2a-sdk-v03';
import {
  DefaultRequestHandler as V03RequestHandler,
  InMemoryTaskStore as V03TaskStore,
  type AgentExecutor as V03AgentExecutor,
  type ExecutionEventBus as V03EventBus,
  type RequestContext as V03RequestContext,
} from 'a2a-sdk-v03/server';
import {
  agentCardHandler as v03AgentCardHandler,
  jsonRpcHandler as v03JsonRpcHandler,
  UserBuilder as V03UserBuilder,
} from 'a2a-sdk-v03/server/express';

/**
 * Real A2A agents for tests, built with the official SDK's server side on 127.0.0.1.
 * Test-only: nothing in production imports this file.
 *
 * - `echo`: completes with one artifact whose single data part is the message's data part.
 * - `stream`: advertises streaming; sends WORKING updates, then a text artifact, then COMPLETED.
 * - `fail`: ends FAILED with the status message "cannot do that".
 * - `ask`: stops at INPUT_REQUIRED asking "Which colour?".
 * - `hang`: stays WORKING until cancelled.
 *
 * `startV1TestAgent` uses `@a2a-js/sdk` 1.x; `startV03TestAgent` the 0.3 line.
 */
/** `metered`: like echo, and reports `{ usage: { tokens: 100, cost: 0.01 } }` in the task metadata (budgets; v1 agent). */
export type TestAgentBehaviour = 'echo' | 'stream' | 'fail' | 'ask' | 'hang' | 'metered';

export interface TestAgent {
  url: string;
  /** Every message the agent received, with the request headers it came with. */
  received: Array<{ message: Message; headers: Record<string, string | string[] | undefined> }>;
  /** Ids of tasks the agent was asked to cancel. */
  cancelled: string[];
  /** How many times the agent card was fetched. */
  cardFetches: number;
  close(): Promise<void>;
}

export async function startV1TestAgent(behaviour: TestAgentBehaviour): Promise<TestAgent> {
  const state = { received: [] as TestAgent['received'], cancelled: [] as string[], cardFetches: 0 };
  const app = express();
  // The card names the JSON-RPC URL, known only once listening; the handler only reads capabilities.
  let url = '';
  const card = (): AgentCard => v1Card(behaviour, url);
  const executor = new V1Executor(behaviour, state.cancelled);
  const handler = new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor);
  app.use(`/${AGENT_CARD_PATH}`, (_req, _res, next) => {
    state.cardFetches += 1;
    next();
  });
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: async () => card() }));
  app.use(express.json(), (req: Request, _res, next) => {
    const message = req.body?.params?.message;
    if (message) state.received.push({ message, headers: req.headers });
    next();
  });
  app.use('/a2a', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  const server = await listen(app);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, ...state, get cardFetches() { return state.cardFetches; }, close: () => close(server) };
}

function v1Card(behaviour: TestAgentBehaviour, baseUrl: string): AgentCard {
  return {
    name: `test-${behaviour}`,
    description: `Test agent: ${behaviour}`,
    supportedInterfaces: [{ url: `${baseUrl}/a2a`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: behaviour === 'stream', pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: [],
    signatures: [],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function dataPart(value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: '' };
}

function textPart(value: string): Part {
  return { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: '' };
}

function agentMessage(text: string, taskId: string, contextId: string): Message {
  return {
    messageId: `${taskId}-${Math.random().toString(36).slice(2)}`,
    contextId,
    taskId,
    role: Role.ROLE_AGENT,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

class V1Executor implements AgentExecutor {
  private readonly stop = new Set<string>();

  constructor(
    private readonly behaviour: TestAgentBehaviour,
    private readonly cancelled: string[],
  ) {}

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = ctx;
    const input = ctx.userMessage.parts.find((p) => p.content?.$case === 'data')?.content?.value;
    const task: Task = {
      id: taskId,
      contextId,
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
      artifacts: [],
      history: [ctx.userMessage],
      metadata: this.behaviour === 'metered' ? { usage: { tokens: 100, cost: 0.01 } } : undefined,
    };
    bus.publish(AgentEvent.task(task));
    const status = (state: TaskState, text?: string) =>
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: { state, message: text ? agentMessage(text, taskId, contextId) : undefined, timestamp: new Date().toISOString() },
          metadata: undefined,
        }),
      );
    const artifact = (parts: Part[]) =>
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: { artifactId: `${taskId}-out`, name: 'result', description: '', parts, metadata: undefined, extensions: [] },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
    switch (this.behaviour) {
      case 'echo':
      case 'metered':
        artifact([dataPart({ echo: input ?? null })]);
        status(TaskState.TASK_STATE_COMPLETED);
        break;
      case 'stream':
        status(TaskState.TASK_STATE_WORKING, 'thinking');
        await sleep(50);
        status(TaskState.TASK_STATE_WORKING, 'still thinking');
        await sleep(50);
        artifact([textPart(`streamed ${JSON.stringify(input ?? null)}`)]);
        status(TaskState.TASK_STATE_COMPLETED);
        break;
      case 'fail':
        status(TaskState.TASK_STATE_FAILED, 'cannot do that');
        break;
      case 'ask':
        // First turn: ask. A follow-up on the same task (ctx.task set): answer with the reply.
        if (ctx.task) {
          artifact([dataPart({ colour: input ?? null })]);
          status(TaskState.TASK_STATE_COMPLETED);
        } else {
          status(TaskState.TASK_STATE_INPUT_REQUIRED, 'Which colour?');
        }
        break;
      case 'hang':
        status(TaskState.TASK_STATE_WORKING, 'working');
        while (!this.stop.has(taskId)) await sleep(20);
        status(TaskState.TASK_STATE_CANCELED);
        break;
    }
    bus.finished();
  };

  cancelTask = async (taskId: string, _bus: ExecutionEventBus): Promise<void> => {
    this.cancelled.push(taskId);
    this.stop.add(taskId);
  };
}

export function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The same behaviours from an agent built with the v0.3 SDK (`a2a-sdk-v03`, an npm alias of 0.3.x). */
export async function startV03TestAgent(behaviour: TestAgentBehaviour): Promise<TestAgent> {
  const state = { received: [] as TestAgent['received'], cancelled: [] as string[], cardFetches: 0 };
  const app = express();
  let url = '';
  const card = (): V03AgentCard => ({
    name: `test-v03-${behaviour}`,
    description: `Test v0.3 agent: ${behaviour}`,
    protocolVersion: '0.3.0',
    version: '1.0.0',
    url: `${url}/a2a`,
    preferredTransport: 'JSONRPC',
    capabilities: { streaming: behaviour === 'stream', pushNotifications: false },
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: [],
  });
  const handler = new V03RequestHandler(card(), new V03TaskStore(), new V03Executor(behaviour, state.cancelled));
  app.use('/.well-known/agent-card.json', (_req, _res, next) => {
    state.cardFetches += 1;
    next();
  });
  app.use('/.well-known/agent-card.json', v03AgentCardHandler({ agentCardProvider: async () => card() }));
  app.use(express.json(), (req: Request, _res, next) => {
    const message = req.body?.params?.message;
    if (message) state.received.push({ message, headers: req.headers });
    next();
  });
  app.use('/a2a', v03JsonRpcHandler({ requestHandler: handler, userBuilder: V03UserBuilder.noAuthentication }));
  const server = await listen(app);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, ...state, get cardFetches() { return state.cardFetches; }, close: () => close(server) };
}

class V03Executor implements V03AgentExecutor {
  private readonly stop = new Set<string>();

  constructor(
    private readonly behaviour: TestAgentBehaviour,
    private readonly cancelled: string[],
  ) {}

  execute = async (ctx: V03RequestContext, bus: V03EventBus): Promise<void> => {
    const { taskId, contextId } = ctx;
    const input = ctx.userMessage.parts.find((p) => p.kind === 'data');
    const data = input?.kind === 'data' ? input.data : undefined;
    const task: V03Task = {
      kind: 'task',
      id: taskId,
      contextId,
      status: { state: 'submitted', timestamp: new Date().toISOString() },
      artifacts: [],
      history: [ctx.userMessage],
    };
    bus.publish(task);
    const status = (state: V03TaskState, text?: string) =>
      bus.publish({
        kind: 'status-update',
        taskId,
        contextId,
        final: !['submitted', 'working'].includes(state),
        status: {
          state,
          timestamp: new Date().toISOString(),
          message: text
            ? { kind: 'message', role: 'agent', messageId: `${taskId}-${Math.random()}`, taskId, contextId, parts: [{ kind: 'text', text }] }
            : undefined,
        },
      });
    const artifact = (parts: V03Part[]) =>
      bus.publish({ kind: 'artifact-update', taskId, contextId, artifact: { artifactId: `${taskId}-out`, name: 'result', parts }, lastChunk: true });
    switch (this.behaviour) {
      case 'echo':
      case 'metered':
        artifact([{ kind: 'data', data: { echo: data ?? null } }]);
        status('completed');
        break;
      case 'stream':
        status('working', 'thinking');
        await sleep(50);
        artifact([{ kind: 'text', text: `streamed ${JSON.stringify(data ?? null)}` }]);
        status('completed');
        break;
      case 'fail':
        status('failed', 'cannot do that');
        break;
      case 'ask':
        if (ctx.task) {
          artifact([{ kind: 'data', data: { colour: data ?? null } }]);
          status('completed');
        } else {
          status('input-required', 'Which colour?');
        }
        break;
      case 'hang':
        status('working', 'working');
        while (!this.stop.has(taskId)) await sleep(20);
        status('canceled');
        break;
    }
    bus.finished();
  };

  cancelTask = async (taskId: string, _bus: V03EventBus): Promise<void> => {
    this.cancelled.push(taskId);
    this.stop.add(taskId);
  };
}
