/**
 * The owner matrix (issue 13, tenancy): for every route of the access policy, what a token
 * bound to owner B gets when it aims at owner A's objects. `owner-matrix.int-spec.ts` walks
 * it against a real server and fails for a route of `accessRules()` that has no row here, so
 * a new route must be classified before it ships.
 *
 * - `hub`: hub configuration or the caller's own things, not owned by an owner (agents,
 *   patterns, nodes, policies, tokens, the system, the agent bus); the role alone decides.
 * - `missing`: another owner's object is a 404 with the same body as a truly missing one,
 *   and nothing happens to it. `path` and `body` get A's fixtures, and then ghost ids.
 * - `absent`: a list that answers 200 without A's object.
 * - `refused`: creating something in A's owner is a 403.
 * - `custom`: walked by a named test of the spec (streams, JSON-RPC, MCP, bulk retries).
 */
export interface Fixtures {
  run: string;
  /** A step of `run` (the checkpoint it waits at). */
  step: string;
  approval: string;
  definition: string;
  webhook: string;
  delivery: string;
  schedule: string;
  task: string;
  workflow: string;
  /** A session of owner A (its id chosen by A). */
  session: string;
}

export type OwnerProbe =
  | { kind: 'hub'; why: string }
  | { kind: 'missing'; path: (f: Fixtures) => string; body?: (f: Fixtures) => unknown }
  | { kind: 'absent'; path: (f: Fixtures) => string; ids: (body: any) => string[]; target: (f: Fixtures) => string }
  | { kind: 'refused'; path: (f: Fixtures) => string; body: (f: Fixtures) => unknown }
  | { kind: 'custom'; test: string };

const hub = (why: string): OwnerProbe => ({ kind: 'hub', why });
const missing = (path: (f: Fixtures) => string, body?: (f: Fixtures) => unknown): OwnerProbe => ({ kind: 'missing', path, body });
const absent = (path: string, ids: (body: any) => string[], target: (f: Fixtures) => string): OwnerProbe => ({ kind: 'absent', path: () => path, ids, target });
const custom = (test: string): OwnerProbe => ({ kind: 'custom', test });
const idsOf = (key: string) => (body: any) => (body[key] as { id: string }[]).map((item) => item.id);

const PUBLIC = hub('public: probes, discovery, the dashboard and API reference pages');
const AGENTS = hub('agents are hub-wide: every owner\'s runs call the same registry');
const PATTERNS = hub('patterns are shared building blocks (their definitions have no owner)');
const NODES = hub('worker nodes are hub capacity, shared by every owner');
const POLICY = hub('Cedar policy sets govern the whole hub');
const SYSTEM = hub('the hub\'s mode, heartbeat, drain and doctor are hub operations');
const BUS = hub('the agent bus is addressed by agent (sender/recipient), not by owner');
const TOKENS = hub('tokens and the caller\'s own identity');
const MCP = custom('MCP tools reach only the bound owner');
const A2A_RPC = custom('A2A JSON-RPC: every task method answers task-not-found');

const v1 = '/a2a/v1/tasks';
const v03 = '/a2a/v0.3/v1/tasks';

export const OWNER_ROWS: Record<string, OwnerProbe> = {
  'GET /health': PUBLIC,
  'GET /ready': PUBLIC,
  'GET /metrics': hub('aggregate counters, no object of any owner'),
  'GET /.well-known/agent-card.json': PUBLIC,
  'GET /': PUBLIC,
  'GET /api/docs': PUBLIC,
  'GET /api/docs/openapi.json': PUBLIC,
  'GET /dashboard': PUBLIC,
  'GET /dashboard/:a': PUBLIC,
  'GET /dashboard/:a/:b': PUBLIC,
  'GET /dashboard/:a/:b/:c': PUBLIC,
  // Definitions: owned; the shared ones (owner "") are readable by every owner
  'GET /api/v1/definitions': absent('/api/v1/definitions', (body) => body.items.map((d: { owner: string; name: string }) => `${d.owner}/${d.name}`), (f) => `acme/${f.definition}`),
  'GET /api/v1/definitions/:name': missing((f) => `/api/v1/definitions/${f.definition}?owner=acme`),
  'GET /api/v1/definitions/:name/versions': missing((f) => `/api/v1/definitions/${f.definition}/versions?owner=acme`),
  'GET /api/v1/definitions/:name/versions/:version': missing((f) => `/api/v1/definitions/${f.definition}/versions/1?owner=acme`),
  'POST /api/v1/definitions': { kind: 'refused', path: () => '/api/v1/definitions', body: () => ({ name: 'intruder', version: '1', owner: 'acme', steps: [{ id: 's', agent: 'builtin:echo' }] }) },
  'GET /api/v1/patterns': PATTERNS,
  'GET /api/v1/patterns/available': PATTERNS,
  'POST /api/v1/patterns': PATTERNS,
  'GET /api/v1/agents': AGENTS,
  'GET /api/v1/agents/:name': AGENTS,
  'GET /api/v1/agents/:name/health': AGENTS,
  'POST /api/v1/agents': AGENTS,
  'DELETE /api/v1/agents/:name': AGENTS,
  'POST /api/v1/agents/:name/breaker/reset': AGENTS,
  // Workflows belong to no owner: to a bound token they do not exist
  'GET /api/v1/policies/decisions': POLICY,
  'GET /.well-known/jwks.json': PUBLIC,
  'POST /api/v1/signing-keys/rotate': hub('Baton\'s call-token signing key is the hub\'s own identity'),
  'GET /api/v1/agents/:name/credentials': TOKENS,
  'POST /api/v1/agents/:name/credentials': TOKENS,
  'DELETE /api/v1/agents/:name/credentials/:id': TOKENS,
  'GET /api/v1/workflow-capacity': hub('aggregate slots, queue depth and admission: counts, no object of any owner'),
  'GET /workflow-capacity': hub('the same counts at the bare path the issue names'),
  'GET /ws/workflows/:id': custom('the workflow socket refuses a bound token\'s upgrade with 404'),
  'POST /api/v1/sessions': { kind: 'refused', path: () => '/api/v1/sessions', body: () => ({ definition: { name: 'tenancy-def', owner: 'acme' } }) },
  'GET /api/v1/sessions/:id': missing((f) => `/api/v1/sessions/${f.session}`),
  'POST /api/v1/sessions/:id/actions/pause': missing((f) => `/api/v1/sessions/${f.session}/actions/pause`, () => ({})),
  'POST /api/v1/sessions/:id/actions/resume': missing((f) => `/api/v1/sessions/${f.session}/actions/resume`, () => ({})),
  'POST /api/v1/sessions/:id/actions/cancel': missing((f) => `/api/v1/sessions/${f.session}/actions/cancel`, () => ({})),
  'POST /api/v1/sessions/:id/actions/signal': missing((f) => `/api/v1/sessions/${f.session}/actions/signal`, () => ({ data: { go: true } })),
  'POST /v1/sessions': { kind: 'refused', path: () => '/v1/sessions', body: () => ({ definition: { name: 'tenancy-def', owner: 'acme' } }) },
  'GET /v1/sessions/:id': missing((f) => `/v1/sessions/${f.session}`),
  'POST /v1/sessions/:id/actions/pause': missing((f) => `/v1/sessions/${f.session}/actions/pause`, () => ({})),
  'POST /v1/sessions/:id/actions/resume': missing((f) => `/v1/sessions/${f.session}/actions/resume`, () => ({})),
  'POST /v1/sessions/:id/actions/cancel': missing((f) => `/v1/sessions/${f.session}/actions/cancel`, () => ({})),
  'POST /v1/sessions/:id/actions/signal': missing((f) => `/v1/sessions/${f.session}/actions/signal`, () => ({ data: { go: true } })),
  'POST /api/v1/workflows': { kind: 'refused', path: () => '/api/v1/workflows', body: () => ({ workflow: { name: 'intruder' } }) },
  'GET /api/v1/workflows/:id': missing((f) => `/api/v1/workflows/${f.workflow}`),
  'POST /api/v1/workflows/:id/execute': missing((f) => `/api/v1/workflows/${f.workflow}/execute`, () => ({})),
  'GET /api/v1/workflows/:id/status': missing((f) => `/api/v1/workflows/${f.workflow}/status`),
  'POST /api/v1/workflows/:id/pause': missing((f) => `/api/v1/workflows/${f.workflow}/pause`, () => ({})),
  // Runs
  'GET /api/v1/runs': absent('/api/v1/runs', idsOf('runs'), (f) => f.run),
  'GET /api/v1/runs/:id': missing((f) => `/api/v1/runs/${f.run}`),
  'POST /api/v1/runs': { kind: 'refused', path: () => '/api/v1/runs', body: (f) => ({ definition: { name: f.definition, owner: 'acme' } }) },
  'POST /api/v1/runs/retry': custom('bulk retries leave another owner\'s runs alone'),
  'GET /api/v1/steps': custom('bulk retries leave another owner\'s runs alone'),
  'POST /api/v1/steps/retry': custom('bulk retries leave another owner\'s runs alone'),
  'POST /api/v1/runs/:id/cancel': missing((f) => `/api/v1/runs/${f.run}/cancel`, () => ({})),
  'POST /api/v1/runs/:id/compensate': missing((f) => `/api/v1/runs/${f.run}/compensate`, () => ({})),
  'POST /api/v1/runs/:id/pause': missing((f) => `/api/v1/runs/${f.run}/pause`, () => ({})),
  'POST /api/v1/runs/:id/resume': missing((f) => `/api/v1/runs/${f.run}/resume`, () => ({})),
  'POST /api/v1/runs/:id/steps/:stepId/retry': missing((f) => `/api/v1/runs/${f.run}/steps/${f.step}/retry`, () => ({})),
  'PATCH /api/v1/runs/:id/budget': missing((f) => `/api/v1/runs/${f.run}/budget`, () => ({ max_steps: 100 })),
  // Streams
  'GET /api/v1/runs/:id/events': missing((f) => `/api/v1/runs/${f.run}/events`),
  'GET /api/v1/events': custom('the all-runs SSE feed and WebSocket carry only the bound owner\'s events'),
  'GET /api/v1/ws': custom('the all-runs SSE feed and WebSocket carry only the bound owner\'s events'),
  // Webhooks
  'GET /api/v1/webhooks': absent('/api/v1/webhooks', idsOf('items'), (f) => f.webhook),
  'GET /api/v1/webhooks/:id': missing((f) => `/api/v1/webhooks/${f.webhook}`),
  'GET /api/v1/webhooks/:id/deliveries': missing((f) => `/api/v1/webhooks/${f.webhook}/deliveries`),
  'POST /api/v1/webhooks': { kind: 'refused', path: () => '/api/v1/webhooks', body: () => ({ url: 'https://hooks.example.com/x', owner: 'acme' }) },
  'DELETE /api/v1/webhooks/:id': missing((f) => `/api/v1/webhooks/${f.webhook}`),
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver': missing((f) => `/api/v1/webhooks/${f.webhook}/deliveries/${f.delivery}/redeliver`, () => ({})),
  // Approvals
  'GET /api/v1/approvals': absent('/api/v1/approvals', idsOf('approvals'), (f) => f.approval),
  'GET /api/v1/approvals/:id': missing((f) => `/api/v1/approvals/${f.approval}`),
  'POST /api/v1/approvals/:id/decision': missing((f) => `/api/v1/approvals/${f.approval}/decision`, () => ({ decision: 'approve' })),
  // A2A: JSON-RPC, and both HTTP+JSON bindings (tasks are runs)
  'POST /a2a': A2A_RPC,
  'POST /a2a/v1/message:send': A2A_RPC,
  'POST /a2a/v1/message:stream': A2A_RPC,
  'GET /a2a/v1/extendedAgentCard': hub('the card describes the hub\'s skills'),
  'GET /a2a/v1/tasks': A2A_RPC,
  'GET /a2a/v1/tasks/:id': missing((f) => `${v1}/${f.task}`),
  'POST /a2a/v1/tasks/:id': missing((f) => `${v1}/${f.task}:cancel`, () => ({})),
  'GET /a2a/v1/tasks/:id/pushNotificationConfigs': missing((f) => `${v1}/${f.task}/pushNotificationConfigs`),
  'POST /a2a/v1/tasks/:id/pushNotificationConfigs': missing((f) => `${v1}/${f.task}/pushNotificationConfigs`, () => ({ url: 'https://hooks.example.com/push' })),
  'GET /a2a/v1/tasks/:id/pushNotificationConfigs/:configId': missing((f) => `${v1}/${f.task}/pushNotificationConfigs/cfg`),
  'DELETE /a2a/v1/tasks/:id/pushNotificationConfigs/:configId': missing((f) => `${v1}/${f.task}/pushNotificationConfigs/cfg`),
  'POST /a2a/v0.3/v1/message:send': A2A_RPC,
  'POST /a2a/v0.3/v1/message:stream': A2A_RPC,
  'GET /a2a/v0.3/v1/card': hub('the card describes the hub\'s skills'),
  'GET /a2a/v0.3/v1/tasks/:id': missing((f) => `${v03}/${f.task}`),
  'POST /a2a/v0.3/v1/tasks/:id': missing((f) => `${v03}/${f.task}:cancel`, () => ({})),
  'GET /a2a/v0.3/v1/tasks/:id/pushNotificationConfigs': missing((f) => `${v03}/${f.task}/pushNotificationConfigs`),
  'POST /a2a/v0.3/v1/tasks/:id/pushNotificationConfigs': missing((f) => `${v03}/${f.task}/pushNotificationConfigs`, () => ({ pushNotificationConfig: { url: 'https://hooks.example.com/push' } })),
  'GET /a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId': missing((f) => `${v03}/${f.task}/pushNotificationConfigs/cfg`),
  'DELETE /a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId': missing((f) => `${v03}/${f.task}/pushNotificationConfigs/cfg`),
  'GET /api/v1/whoami': TOKENS,
  '* /api/v1/tokens': TOKENS,
  '* /api/v1/tokens/:name': TOKENS,
  'GET /api/v1/policies': POLICY,
  'GET /api/v1/policies/active': POLICY,
  'GET /api/v1/policies/:version': POLICY,
  'GET /api/v1/policies/:version/diff': POLICY,
  'POST /api/v1/policies': POLICY,
  'POST /api/v1/policies/rollback': POLICY,
  'POST /api/v1/policies/evaluate': POLICY,
  'POST /api/v1/policies/:version/activate': POLICY,
  'GET /api/v1/system': SYSTEM,
  'POST /api/v1/system/mode': SYSTEM,
  'POST /api/v1/system/heartbeat': SYSTEM,
  'POST /api/v1/system/heartbeat/signed': SYSTEM,
  'POST /api/v1/system/drain': SYSTEM,
  'GET /api/v1/system/doctor': SYSTEM,
  'POST /api/v1/system/doctor/fix': SYSTEM,
  'GET /api/v1/doctor': SYSTEM,
  'POST /api/v1/doctor/fix': SYSTEM,
  'POST /mcp': MCP,
  'GET /mcp': MCP,
  'DELETE /mcp': MCP,
  'POST /api/v1/nodes/register': NODES,
  'GET /api/v1/nodes/:id/config': NODES,
  'POST /api/v1/nodes/:id/config': NODES,
  'POST /api/v1/nodes/:id/heartbeat': NODES,
  'POST /api/v1/nodes/:id/claim': NODES,
  'POST /api/v1/nodes/:id/jobs/:jobId/complete': NODES,
  'POST /api/v1/nodes/:id/jobs/:jobId/fail': NODES,
  'GET /api/v1/nodes': NODES,
  'GET /api/v1/nodes/:id': NODES,
  'PUT /api/v1/nodes/:id/config': NODES,
  'POST /api/v1/nodes/:id/drain': NODES,
  'DELETE /api/v1/nodes/:id': NODES,
  // Schedules belong to the owner of the runs they start (their target definition's)
  'GET /api/v1/schedules': absent('/api/v1/schedules', idsOf('schedules'), (f) => f.schedule),
  'GET /api/v1/schedules/:id': missing((f) => `/api/v1/schedules/${f.schedule}`),
  'GET /api/v1/schedules/:id/history': missing((f) => `/api/v1/schedules/${f.schedule}/history`),
  'POST /api/v1/schedules': { kind: 'refused', path: () => '/api/v1/schedules', body: (f) => ({ name: 'intruder', definition: { name: f.definition, owner: 'acme' }, cron: '0 3 * * *' }) },
  'PATCH /api/v1/schedules/:id': missing((f) => `/api/v1/schedules/${f.schedule}`, () => ({ note: 'mine now' })),
  'DELETE /api/v1/schedules/:id': missing((f) => `/api/v1/schedules/${f.schedule}`),
  'POST /api/v1/schedules/:id/pause': missing((f) => `/api/v1/schedules/${f.schedule}/pause`, () => ({})),
  'POST /api/v1/schedules/:id/unpause': missing((f) => `/api/v1/schedules/${f.schedule}/unpause`, () => ({})),
  'POST /api/v1/schedules/:id/trigger': missing((f) => `/api/v1/schedules/${f.schedule}/trigger`, () => ({})),
  'POST /api/v1/schedules/:id/skip-next': missing((f) => `/api/v1/schedules/${f.schedule}/skip-next`, () => ({})),
  'POST /api/v1/schedules/:id/backfill': missing((f) => `/api/v1/schedules/${f.schedule}/backfill`, () => ({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' })),
  'GET /api/v1/message-types': BUS,
  'GET /api/v1/message-types/:name': BUS,
  'GET /api/v1/message-types/:name/versions/:version': BUS,
  'POST /api/v1/message-types': BUS,
  'POST /api/v1/messages': BUS,
  'GET /api/v1/messages/inbox': BUS,
  'GET /api/v1/messages/inbox/stream': BUS,
  'GET /api/v1/messages/inbox/endpoint': BUS,
  'PUT /api/v1/messages/inbox/endpoint': BUS,
  'DELETE /api/v1/messages/inbox/endpoint': BUS,
  'POST /api/v1/messages/inbox/:deliveryId/ack': BUS,
  'GET /api/v1/messages': BUS,
  'GET /api/v1/messages/:id': BUS,
  'GET /api/v1/topics/:topic/subscriptions': BUS,
  'POST /api/v1/topics/:topic/subscriptions': BUS,
  'DELETE /api/v1/topics/:topic/subscriptions': BUS,
  'GET /api/v1/events/external': BUS,
  'POST /api/v1/events/external': BUS,
};
