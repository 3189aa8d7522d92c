/**
 * The role × route × owner matrix (issue 8): who may call what, written out by hand so that a
 * change to the access policy (`libs/identity/src/access-policy.ts`) or to the A2A gateway's
 * ownership rules (`libs/a2a/src/tasks/task-access.ts`) has to change this table too.
 * `access-matrix.int-spec.ts` drives it against a real server.
 */

export const ROLES = ['viewer', 'agent', 'operator', 'admin'] as const;
export type MatrixRole = (typeof ROLES)[number];
/** Callers: the four roles, no Authorization header, and a token Baton never issued. */
export type Caller = MatrixRole | 'none' | 'invalid';
export const CALLERS: Caller[] = ['none', 'invalid', ...ROLES];

const READ: MatrixRole[] = ['viewer', 'agent', 'operator', 'admin'];
const SUBMIT: MatrixRole[] = ['agent', 'admin'];
const CONTROL: MatrixRole[] = ['operator', 'admin'];
const ADMIN: MatrixRole[] = ['admin'];

/**
 * One REST route. `allowed` is `public` or the roles that pass; everyone else gets 403 (and
 * no or an unknown token 401). `owner` (issue 13, tenancy): `own` routes reach only the owner
 * a token is bound to — another owner's run is a 404 and is left out of lists, and a run is
 * started only for the token's owner; `any`: not probed here. The owner dimension of every
 * route (definitions, approvals, webhooks, schedules, streams, A2A, MCP) is
 * `owner-matrix.ts`, which fails for a route it does not classify.
 */
export interface RestRow {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The policy's pattern, as in `accessRules()`. */
  pattern: string;
  /** `node`: the worker node protocol, where every API token (and none) gets 401. */
  allowed: 'public' | 'node' | MatrixRole[];
  owner: 'any' | 'own';
  /** A server-sent event stream or a WebSocket upgrade (checked with `?access_token=` too). */
  stream?: 'sse' | 'ws';
}

export const REST_ROWS: RestRow[] = [
  { method: 'GET', pattern: '/health', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/ready', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/metrics', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/.well-known/agent-card.json', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/.well-known/jwks.json', allowed: 'public', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/signing-keys/rotate', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/api/docs', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/api/docs/openapi.json', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/dashboard', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/dashboard/:a', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/dashboard/:a/:b', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/dashboard/:a/:b/:c', allowed: 'public', owner: 'any' },
  { method: 'GET', pattern: '/api/v1/definitions', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/definitions/:name', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/definitions/:name/versions/:version', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/definitions/:name/versions', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/definitions', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/patterns', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/patterns/available', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/patterns', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/agents', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/agents/:name', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/agents/:name/health', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/agents', allowed: ADMIN, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/agents/:name', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/agents/:name/breaker/reset', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/workflows', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/workflows/:id', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/workflows/:id/execute', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/workflows/:id/status', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/workflows/:id/pause', allowed: CONTROL, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/workflow-capacity', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/workflow-capacity', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/ws/workflows/:id', allowed: READ, owner: 'any', stream: 'ws' },
  { method: 'GET', pattern: '/api/v1/runs', allowed: READ, owner: 'own' },
  { method: 'GET', pattern: '/api/v1/runs/:id', allowed: READ, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/runs', allowed: SUBMIT, owner: 'own' },
  // Dead letters (issue 12). They filter by a bound token's owner, but answer with their own
  // shapes (a steps list, retry outcomes), so the owner column's generic probes do not apply.
  { method: 'POST', pattern: '/api/v1/runs/retry', allowed: CONTROL, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/steps', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/steps/retry', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/runs/:id/cancel', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/runs/:id/compensate', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/runs/:id/pause', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/sessions', allowed: SUBMIT, owner: 'own' },
  { method: 'GET', pattern: '/api/v1/sessions/:id', allowed: READ, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/sessions/:id/actions/pause', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/sessions/:id/actions/resume', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/sessions/:id/actions/cancel', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/sessions/:id/actions/signal', allowed: SUBMIT, owner: 'own' },
  { method: 'POST', pattern: '/v1/sessions', allowed: SUBMIT, owner: 'own' },
  { method: 'GET', pattern: '/v1/sessions/:id', allowed: READ, owner: 'own' },
  { method: 'POST', pattern: '/v1/sessions/:id/actions/pause', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/v1/sessions/:id/actions/resume', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/v1/sessions/:id/actions/cancel', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/v1/sessions/:id/actions/signal', allowed: SUBMIT, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/runs/:id/resume', allowed: CONTROL, owner: 'own' },
  { method: 'POST', pattern: '/api/v1/runs/:id/steps/:stepId/retry', allowed: CONTROL, owner: 'own' },
  { method: 'PATCH', pattern: '/api/v1/runs/:id/budget', allowed: CONTROL, owner: 'own' },
  { method: 'GET', pattern: '/api/v1/runs/:id/events', allowed: READ, owner: 'any', stream: 'sse' },
  { method: 'GET', pattern: '/api/v1/events', allowed: READ, owner: 'any', stream: 'sse' },
  { method: 'GET', pattern: '/api/v1/ws', allowed: READ, owner: 'any', stream: 'ws' },
  { method: 'GET', pattern: '/api/v1/webhooks', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/webhooks/:id', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/webhooks/:id/deliveries', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/webhooks', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver', allowed: ADMIN, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/webhooks/:id', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/system', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/system/mode', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/system/heartbeat', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/system/heartbeat/signed', allowed: 'public', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/system/drain', allowed: CONTROL, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/system/doctor', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/system/doctor/fix', allowed: CONTROL, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/doctor', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/doctor/fix', allowed: CONTROL, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/schedules', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/schedules/:id', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/schedules/:id/history', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/schedules', allowed: ADMIN, owner: 'any' },
  { method: 'PATCH', pattern: '/api/v1/schedules/:id', allowed: ADMIN, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/schedules/:id', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/schedules/:id/pause', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/schedules/:id/unpause', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/schedules/:id/trigger', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/schedules/:id/skip-next', allowed: CONTROL, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/schedules/:id/backfill', allowed: CONTROL, owner: 'any' },
  // The agent bus (issue 14)
  { method: 'GET', pattern: '/api/v1/message-types', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/message-types/:name', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/message-types/:name/versions/:version', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/message-types', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/messages', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/messages/inbox', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/messages/inbox/stream', allowed: SUBMIT, owner: 'any', stream: 'sse' },
  { method: 'GET', pattern: '/api/v1/messages/inbox/endpoint', allowed: SUBMIT, owner: 'any' },
  { method: 'PUT', pattern: '/api/v1/messages/inbox/endpoint', allowed: SUBMIT, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/messages/inbox/endpoint', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/messages/inbox/:deliveryId/ack', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/messages', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/messages/:id', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/topics/:topic/subscriptions', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/topics/:topic/subscriptions', allowed: SUBMIT, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/topics/:topic/subscriptions', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/events/external', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/events/external', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/approvals', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/approvals/:id', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/approvals/:id/decision', allowed: ['operator', 'admin'], owner: 'any' },
  { method: 'POST', pattern: '/a2a', allowed: SUBMIT, owner: 'any' },
  // The A2A HTTP+JSON binding (its owner rules are the JSON-RPC ones, checked in a2a-rest.int-spec.ts)
  { method: 'POST', pattern: '/a2a/v1/message:send', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/a2a/v1/message:stream', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v1/extendedAgentCard', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v1/tasks', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v1/tasks/:id', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/a2a/v1/tasks/:id', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs/:configId', allowed: SUBMIT, owner: 'any' },
  { method: 'DELETE', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs/:configId', allowed: SUBMIT, owner: 'any' },
  // The A2A v0.3 HTTP+JSON binding (owner rules checked in a2a-rest-v03.int-spec.ts)
  { method: 'POST', pattern: '/a2a/v0.3/v1/message:send', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/a2a/v0.3/v1/message:stream', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v0.3/v1/card', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/a2a/v0.3/v1/tasks/:id', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs', allowed: SUBMIT, owner: 'any' },
  { method: 'POST', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId', allowed: SUBMIT, owner: 'any' },
  { method: 'DELETE', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId', allowed: SUBMIT, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/whoami', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/tokens', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/tokens', allowed: ADMIN, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/tokens/:name', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/agents/:name/credentials', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/agents/:name/credentials', allowed: ADMIN, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/agents/:name/credentials/:id', allowed: ADMIN, owner: 'any' },
  // MCP: every role connects; which tools each sees is checked in mcp.int-spec.ts
  { method: 'POST', pattern: '/mcp', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/mcp', allowed: READ, owner: 'any' },
  { method: 'DELETE', pattern: '/mcp', allowed: READ, owner: 'any' },
  // The worker node protocol: no API token opens it, only the node's own (or the registration) token
  { method: 'POST', pattern: '/api/v1/nodes/register', allowed: 'node', owner: 'any' },
  { method: 'GET', pattern: '/api/v1/nodes/:id/config', allowed: 'node', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/nodes/:id/config', allowed: 'node', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/nodes/:id/heartbeat', allowed: 'node', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/nodes/:id/claim', allowed: 'node', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/nodes/:id/jobs/:jobId/complete', allowed: 'node', owner: 'any' },
  { method: 'POST', pattern: '/api/v1/nodes/:id/jobs/:jobId/fail', allowed: 'node', owner: 'any' },
  { method: 'GET', pattern: '/api/v1/nodes', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/nodes/:id', allowed: READ, owner: 'any' },
  { method: 'PUT', pattern: '/api/v1/nodes/:id/config', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/nodes/:id/drain', allowed: ADMIN, owner: 'any' },
  { method: 'DELETE', pattern: '/api/v1/nodes/:id', allowed: ADMIN, owner: 'any' },
  // Cedar policy sets (issue 13)
  { method: 'GET', pattern: '/api/v1/policies', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/policies/active', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/policies/decisions', allowed: ADMIN, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/policies/:version', allowed: READ, owner: 'any' },
  { method: 'GET', pattern: '/api/v1/policies/:version/diff', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/policies', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/policies/rollback', allowed: ADMIN, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/policies/evaluate', allowed: READ, owner: 'any' },
  { method: 'POST', pattern: '/api/v1/policies/:version/activate', allowed: ADMIN, owner: 'any' },
];

/**
 * What an A2A call on a task of agent A's answers, per caller: `ok` (no error, or an SSE
 * stream of the task), `not-found` (-32001: another agent's task does not exist for it),
 * `forbidden` (-32000), or another JSON-RPC error code that shows the call got past the
 * access checks (e.g. -32004 resuming a run that is not paused).
 */
export type A2aOutcome = 'ok' | 'not-found' | 'forbidden' | number;

export interface A2aRow {
  version: '1.0' | '0.3';
  method: string;
  /** Params for a call about `taskId` (whose push config `cfg` exists). */
  params(taskId: string): unknown;
  /** The task's owner (agent A), another agent (B), an admin. */
  expect: { own: A2aOutcome; other: A2aOutcome; admin: A2aOutcome };
  /** The call answers with SSE. */
  stream?: boolean;
}

const newPlan = { plan: { steps: [{ id: 'say', agent: 'builtin:echo', input: { hello: 'world' } }] } };
const v10Message = (data: unknown, taskId?: string) => ({
  message: { messageId: crypto.randomUUID(), role: 'ROLE_USER', parts: [{ data }], ...(taskId ? { taskId } : {}) },
});
const v03Message = (data: unknown, taskId?: string) => ({
  message: { kind: 'message', messageId: crypto.randomUUID(), role: 'user', parts: [{ kind: 'data', data }], ...(taskId ? { taskId } : {}) },
});
const decision = { decision: 'approve' };
const READS = { own: 'ok', other: 'not-found', admin: 'ok' } as const;
const CONTROLS = { own: 'ok', other: 'forbidden', admin: 'ok' } as const;
/** A human checkpoint: not even its submitting agent may pass it (issue 8). */
const HUMAN_GATE = { own: 'forbidden', other: 'not-found', admin: 'ok' } as const;
const NO_TASK = { own: 'ok', other: 'ok', admin: 'ok' } as const;
const push = 'http://127.0.0.1:9/push';

/** Every A2A JSON-RPC method of both dialects, with the owner dimension. */
export const A2A_ROWS: A2aRow[] = [
  // v1.0
  { version: '1.0', method: 'SendMessage', params: () => v10Message(newPlan), expect: NO_TASK },
  { version: '1.0', method: 'SendMessage', params: (id) => v10Message(decision, id), expect: HUMAN_GATE },
  { version: '1.0', method: 'SendStreamingMessage', params: () => v10Message(newPlan), expect: NO_TASK, stream: true },
  { version: '1.0', method: 'GetTask', params: (id) => ({ id }), expect: READS },
  { version: '1.0', method: 'SubscribeToTask', params: (id) => ({ id }), expect: READS, stream: true },
  { version: '1.0', method: 'CancelTask', params: (id) => ({ id }), expect: CONTROLS },
  { version: '1.0', method: 'ListTasks', params: () => ({}), expect: NO_TASK },
  { version: '1.0', method: 'CreateTaskPushNotificationConfig', params: (taskId) => ({ taskId, url: push }), expect: CONTROLS },
  { version: '1.0', method: 'GetTaskPushNotificationConfig', params: (taskId) => ({ taskId, id: 'cfg' }), expect: READS },
  { version: '1.0', method: 'ListTaskPushNotificationConfigs', params: (taskId) => ({ taskId }), expect: READS },
  { version: '1.0', method: 'DeleteTaskPushNotificationConfig', params: (taskId) => ({ taskId, id: 'cfg' }), expect: CONTROLS },
  { version: '1.0', method: 'GetExtendedAgentCard', params: () => ({}), expect: NO_TASK },
  // v0.3
  { version: '0.3', method: 'message/send', params: () => v03Message(newPlan), expect: NO_TASK },
  { version: '0.3', method: 'message/send', params: (id) => v03Message(decision, id), expect: HUMAN_GATE },
  { version: '0.3', method: 'message/stream', params: () => v03Message(newPlan), expect: NO_TASK, stream: true },
  { version: '0.3', method: 'tasks/get', params: (id) => ({ id }), expect: READS },
  { version: '0.3', method: 'tasks/resubscribe', params: (id) => ({ id }), expect: READS, stream: true },
  { version: '0.3', method: 'tasks/cancel', params: (id) => ({ id }), expect: CONTROLS },
  { version: '0.3', method: 'tasks/pushNotificationConfig/set', params: (taskId) => ({ taskId, pushNotificationConfig: { url: push } }), expect: CONTROLS },
  { version: '0.3', method: 'tasks/pushNotificationConfig/get', params: (id) => ({ id, pushNotificationConfigId: 'cfg' }), expect: READS },
  { version: '0.3', method: 'tasks/pushNotificationConfig/list', params: (id) => ({ id }), expect: READS },
  { version: '0.3', method: 'tasks/pushNotificationConfig/delete', params: (id) => ({ id, pushNotificationConfigId: 'cfg' }), expect: CONTROLS },
  { version: '0.3', method: 'agent/getAuthenticatedExtendedCard', params: () => ({}), expect: NO_TASK },
  // Baton's own methods, in both dialects
  ...(['1.0', '0.3'] as const).flatMap((version): A2aRow[] => [
    { version, method: 'baton/create', params: () => newPlan, expect: NO_TASK },
    { version, method: 'baton/execute', params: () => newPlan, expect: NO_TASK },
    { version, method: 'baton/continue', params: (taskId) => ({ taskId, ...decision }), expect: HUMAN_GATE },
    // The task waits on a checkpoint, not paused: whoever may steer it gets -32004.
    { version, method: 'baton/resume', params: (taskId) => ({ taskId }), expect: { own: -32004, other: 'forbidden', admin: -32004 } },
  ]),
];
