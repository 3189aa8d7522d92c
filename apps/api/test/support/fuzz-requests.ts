import { accessRules } from '@baton/identity';
import type { RawRequest } from './raw-http.js';
import { Random, billionLaughs, deepJson, hostileQuery, hostileSegment, hostileValue, hostileYaml, mutate } from './hostile-values.js';

/** Ids of real rows, so that some requests get past "not found" into the handlers. */
export interface FuzzFixtures {
  token: string;
  definitionName: string;
  runIds: string[];
  stepKeys: string[];
  agentNames: string[];
  webhookIds: string[];
  approvalIds: string[];
  tokenNames: string[];
  taskIds: string[];
}

const STEPS = [
  { id: 'first', agent: 'builtin:echo', input: { topic: '{{ input.topic }}' } },
  { id: 'wait', agent: 'builtin:delay', input: { ms: 5 }, depends_on: ['first'] },
];

/** A valid body per route; the fuzzer mutates it. */
function templateFor(method: string, pattern: string, f: FuzzFixtures): unknown {
  switch (`${method} ${pattern}`) {
    case 'POST /api/v1/definitions':
      return { name: 'fuzz-def', version: '1.0.0', description: 'd', orchestration: { concurrency: { maxParallel: 2 } }, steps: STEPS };
    case 'POST /api/v1/workflows':
      return {
        workflow: {
          name: 'fuzz-workflow', version: '1', orchestration_pattern: 'dag', timeout: '5m',
          agents: [{ type: 'builtin:echo', count: 2, capabilities: ['x'], resources: { cpu: '500m' } }],
          tasks: [{ id: 'a', agent: 'builtin:echo', retry_policy: 'fixed', parallel: true }, { id: 'b', agent: 'builtin:echo', depends_on: ['a'], timeout: 30 }],
          coordination: { max_parallel: 2 }, fault_tolerance: { retry_policy: 'none' },
        },
      };
    case 'POST /api/v1/workflows/:id/execute':
      return { input_data: { topic: 't' }, execution_options: { timeout: '1h' } };
    case 'POST /api/v1/agents':
      return {
        name: 'fuzz-agent', kind: 'http', url: 'http://127.0.0.1:9/', capabilities: ['x'], maxConcurrency: 2, timeoutSeconds: 5, headers: { a: 'b' },
        breaker: { failure_threshold: 3, reset_seconds: 10, half_open_max_calls: 1 },
      };
    case 'POST /api/v1/runs':
      return { definition: { name: f.definitionName }, plan: { steps: STEPS }, input: { topic: 't' }, idempotencyKey: 'k', metadata: { a: 1 }, timeout_seconds: 60 };
    case 'POST /api/v1/steps/retry':
      return { steps: [{ runId: f.runIds[0], stepId: 'first' }] };
    case 'POST /api/v1/runs/retry':
      return { status: 'failed', definition: f.definitionName, errorCode: 'timeout', createdAfter: '2026-01-01T00:00:00Z', limit: 5 };
    case 'POST /api/v1/webhooks':
      return { url: 'http://127.0.0.1:9/hook', events: ['run.*'], secret: 's', description: 'd', active: true, runId: f.runIds[0], format: 'baton' };
    case 'POST /api/v1/approvals/:id/decision':
      return { decision: 'approve', comment: 'ok', payload: { a: 1 } };
    case 'POST /api/v1/tokens':
      return { name: 'fuzz-token', role: 'viewer' };
    default:
      return {};
  }
}

/** Every A2A JSON-RPC method, per dialect (docs/a2a.md), plus Baton's own. */
const DIALECTS = {
  '0.3': {
    send: 'message/send', stream: 'message/stream', get: 'tasks/get', cancel: 'tasks/cancel', subscribe: 'tasks/resubscribe',
    pushCreate: 'tasks/pushNotificationConfig/set', pushGet: 'tasks/pushNotificationConfig/get',
    pushList: 'tasks/pushNotificationConfig/list', pushDelete: 'tasks/pushNotificationConfig/delete',
  },
  '1.0': {
    send: 'SendMessage', stream: 'SendStreamingMessage', get: 'GetTask', cancel: 'CancelTask', subscribe: 'SubscribeToTask', list: 'ListTasks',
    pushCreate: 'CreateTaskPushNotificationConfig', pushGet: 'GetTaskPushNotificationConfig',
    pushList: 'ListTaskPushNotificationConfigs', pushDelete: 'DeleteTaskPushNotificationConfig',
  },
} as const;
type Version = keyof typeof DIALECTS;
const BATON_METHODS = ['baton/create', 'baton/execute', 'baton/continue', 'baton/resume'];

export const RPC_METHODS: Array<{ version: Version; method: string }> = (Object.keys(DIALECTS) as Version[]).flatMap((version) =>
  [...Object.values(DIALECTS[version]), ...BATON_METHODS].map((method) => ({ version, method })),
);

/** JSON-RPC params for a method: valid enough to reach the handler, before mutation. */
function rpcParams(version: Version, method: string, f: FuzzFixtures): unknown {
  const taskId = f.taskIds[0] ?? f.runIds[0];
  const m: Record<string, string> = DIALECTS[version];
  const message =
    version === '1.0'
      ? { messageId: 'm1', role: 'ROLE_USER', parts: [{ data: { plan: { steps: STEPS }, input: { topic: 't' } } }] }
      : { kind: 'message', messageId: 'm1', role: 'user', parts: [{ kind: 'data', data: { definition: f.definitionName, input: {} } }] };
  if (method === m.send || method === m.stream) return { message, configuration: { blocking: false } };
  if (method === m.list) return { pageSize: 5 };
  if (BATON_METHODS.includes(method)) return { plan: { steps: STEPS }, input: {}, taskId };
  const push = { url: 'http://127.0.0.1:9/push', token: 't' };
  if (method === m.pushCreate) return version === '1.0' ? { taskId, config: push } : { taskId, pushNotificationConfig: push };
  if (method === m.pushGet || method === m.pushDelete) return { id: taskId, taskId, pushNotificationConfigId: 'p1' };
  return { id: taskId, name: `tasks/${taskId}` };
}

function fillPattern(pattern: string, random: Random, f: FuzzFixtures): string {
  return pattern
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part;
      const valid =
        pattern.includes('/runs/') && part === ':id' ? f.runIds
          : part === ':stepId' ? f.stepKeys
          : pattern.includes('/definitions/') && part === ':name' ? [f.definitionName]
          : pattern.includes('/agents/') ? f.agentNames
          : pattern.includes('/webhooks/') ? f.webhookIds
          : pattern.includes('/approvals/') ? f.approvalIds
          : pattern.includes('/tokens/') ? f.tokenNames
          : part === ':version' ? ['1.0.0']
          : [];
      return hostileSegment(random, valid);
    })
    .join('/');
}

/** A body that is not what a JSON parser expects: bad bytes, bombs, wrong types. */
function rawHostileBody(random: Random): { body: Buffer | string; type?: string } {
  return random.pick([
    () => ({ body: Buffer.concat([Buffer.from('{"plan": "'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')]), type: 'application/json' }),
    () => ({ body: Buffer.from([0xed, 0xa0, 0x80]), type: 'application/json; charset=utf-8' }),
    () => ({ body: deepJson(5000 + random.int(20_000)), type: 'application/json' }),
    () => ({ body: deepJson(3000, 'object'), type: 'application/json' }),
    () => ({ body: '{"name": "a\\u0000b", "steps": []}', type: 'application/json' }),
    () => ({ body: '{"name": "\\ud800", "input": {"x": "\\udfff"}}', type: 'application/json' }),
    () => ({ body: '{"__proto__": {"polluted": true}, "name": "x"}', type: 'application/json' }),
    () => ({ body: '{"a": 1', type: 'application/json' }),
    () => ({ body: '1e999999', type: 'application/json' }),
    () => ({ body: 'null', type: 'application/json' }),
    () => ({ body: '"just a string"', type: 'application/json' }),
    () => ({ body: '{"a":1}', type: 'application/json; charset=utf-16' }),
    () => ({ body: '{"plan": {"steps": [{"id": "a", "agent": "builtin:echo"}]}}', type: 'text/plain' }),
    () => ({ body: 'plan=1&input=2', type: 'application/x-www-form-urlencoded' }),
    () => ({ body: '{"a":1}', type: undefined }),
    () => ({ body: hostileYaml(random), type: 'application/yaml' }),
    () => ({ body: billionLaughs(6 + random.int(4)), type: 'text/yaml' }),
  ])();
}

function headersFor(random: Random, f: FuzzFixtures): Record<string, string> {
  const headers: Record<string, string> = {};
  const auth = random.next();
  if (auth < 0.85) headers.authorization = `Bearer ${f.token}`;
  else if (auth < 0.9) headers.authorization = random.pick(['Bearer', 'Bearer x', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(5000)}`]);
  if (random.chance(0.04)) headers.origin = random.pick(['https://attacker.example', 'null', 'http://127.0.0.1.attacker.example']);
  if (random.chance(0.03)) headers.host = random.pick(['attacker.example', 'attacker.example:80', '']);
  if (random.chance(0.05)) headers['a2a-version'] = random.pick(['0.3', '1.0', '9.9', '\u00ff']);
  return headers;
}

/** One hostile request over some route of the access policy, or an A2A JSON-RPC method. */
export function nextRequest(random: Random, f: FuzzFixtures): RawRequest {
  const rules = accessRules();
  const headers = headersFor(random, f);
  if (random.chance(0.25)) return rpcRequest(random, f, headers);
  const rule = random.pick(rules);
  const method = rule.method === '*' ? random.pick(['GET', 'POST', 'DELETE', 'PUT', 'PATCH']) : rule.method;
  const path = fillPattern(rule.pattern, random, f) + hostileQuery(random);
  if (method === 'GET' || method === 'DELETE') return { method, path, headers };
  if (random.chance(0.25)) {
    const { body, type } = rawHostileBody(random);
    return { method, path, headers: type ? { ...headers, 'content-type': type } : headers, body };
  }
  const body = JSON.stringify(mutate(templateFor(method, rule.pattern, f), random));
  return { method, path, headers: { ...headers, 'content-type': 'application/json' }, body: body ?? 'null' };
}

function rpcRequest(random: Random, f: FuzzFixtures, headers: Record<string, string>): RawRequest {
  const { version, method } = random.pick(RPC_METHODS);
  headers['a2a-version'] ??= version;
  const envelope: Record<string, unknown> = { jsonrpc: '2.0', id: random.chance(0.9) ? random.int(1e6) : hostileValue(random), method, params: rpcParams(version, method, f) };
  const mutated = random.chance(0.8) ? { ...envelope, params: mutate(envelope.params, random) } : mutate(envelope, random);
  const body = random.chance(0.1) ? rawHostileBody(random).body : JSON.stringify(mutated) ?? 'null';
  return { method: 'POST', path: '/a2a' + (random.chance(0.1) ? hostileQuery(random) : ''), headers: { ...headers, 'content-type': 'application/json' }, body };
}
