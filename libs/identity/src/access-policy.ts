import type { PolicyAction } from '@baton/policy';

/**
 * THE route table: every route Baton serves, by HTTP method and path pattern, with the Cedar
 * action it performs. The global guard looks requests up here and asks the policy engine
 * (`@baton/policy`) whether the caller may perform that action; no controller carries its own
 * role decorator. Who holds which action is the active Cedar policy set (by default
 * `libs/policy/policies/default.cedar`, the role table of `roles.ts` written in Cedar).
 *
 * - `public`: no token needed, even when auth is on (probes, the A2A agent card).
 * - an action: the active policy must permit it for the caller.
 * - anything not listed is `route.unlisted`, which only `admin` holds: a new route is locked
 *   until someone adds it here.
 *
 * `queryToken` routes also accept `?access_token=` because browsers' EventSource and
 * WebSocket cannot send an Authorization header; everywhere else only the header counts
 * (query strings end up in access logs).
 */
export type Access = 'public' | PolicyAction;

export interface AccessRule {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
  /** Segments; `:name` matches any one segment. */
  pattern: string;
  access: Access;
  queryToken?: boolean;
}

export interface AccessPolicyOptions {
  /** BATON_METRICS_AUTH: `/metrics` needs a token (action `read`) instead of being open. */
  metricsAuth?: boolean;
}

export function accessRules(options: AccessPolicyOptions = {}): AccessRule[] {
  return [
    // Probes and discovery
    { method: 'GET', pattern: '/health', access: 'public' },
    { method: 'GET', pattern: '/ready', access: 'public' },
    { method: 'GET', pattern: '/metrics', access: options.metricsAuth ? 'read' : 'public' },
    { method: 'GET', pattern: '/.well-known/agent-card.json', access: 'public' },
    // Baton's public keys: agents verify call tokens with them (issue 13)
    { method: 'GET', pattern: '/.well-known/jwks.json', access: 'public' },
    { method: 'POST', pattern: '/api/v1/signing-keys/rotate', access: 'signing_key.rotate' },
    // Definitions and agents: anyone may read, admins write
    { method: 'GET', pattern: '/api/v1/definitions', access: 'read' },
    { method: 'GET', pattern: '/api/v1/definitions/:name', access: 'read' },
    { method: 'GET', pattern: '/api/v1/definitions/:name/versions/:version', access: 'read' },
    { method: 'GET', pattern: '/api/v1/definitions/:name/versions', access: 'read' },
    { method: 'POST', pattern: '/api/v1/definitions', access: 'definition.create' },
    // The pattern library (issue 9, docs/patterns.md): read like definitions, registered by admins
    { method: 'GET', pattern: '/api/v1/patterns', access: 'read' },
    { method: 'GET', pattern: '/api/v1/patterns/available', access: 'read' },
    { method: 'POST', pattern: '/api/v1/patterns', access: 'pattern.create' },
    { method: 'GET', pattern: '/api/v1/agents', access: 'read' },
    { method: 'GET', pattern: '/api/v1/agents/:name', access: 'read' },
    { method: 'GET', pattern: '/api/v1/agents/:name/health', access: 'read' },
    { method: 'POST', pattern: '/api/v1/agents', access: 'agent.create' },
    { method: 'DELETE', pattern: '/api/v1/agents/:name', access: 'agent.delete' },
    { method: 'POST', pattern: '/api/v1/agents/:name/breaker/reset', access: 'agent.breaker.reset' },
    // Runs: agents submit, operators steer
    // The seed's workflow API (issue 12, docs/workflows.md): the same actions as the definition and run routes it stands on
    { method: 'POST', pattern: '/api/v1/workflows', access: 'definition.create' },
    { method: 'GET', pattern: '/api/v1/workflows/:id', access: 'read' },
    { method: 'POST', pattern: '/api/v1/workflows/:id/execute', access: 'run.create' },
    { method: 'GET', pattern: '/api/v1/workflows/:id/status', access: 'read' },
    { method: 'POST', pattern: '/api/v1/workflows/:id/pause', access: 'run.pause' },
    // Sessions (issue 13, docs/api.md): a run under the caller's id; each action is checked on its own
    { method: 'POST', pattern: '/api/v1/sessions', access: 'run.create' },
    { method: 'GET', pattern: '/api/v1/sessions/:id', access: 'read' },
    { method: 'POST', pattern: '/api/v1/sessions/:id/actions/pause', access: 'run.pause' },
    { method: 'POST', pattern: '/api/v1/sessions/:id/actions/resume', access: 'run.resume' },
    { method: 'POST', pattern: '/api/v1/sessions/:id/actions/cancel', access: 'run.cancel' },
    { method: 'POST', pattern: '/api/v1/sessions/:id/actions/signal', access: 'session.signal' },
    // The same session routes under the orchestrator-service design's path
    { method: 'POST', pattern: '/v1/sessions', access: 'run.create' },
    { method: 'GET', pattern: '/v1/sessions/:id', access: 'read' },
    { method: 'POST', pattern: '/v1/sessions/:id/actions/pause', access: 'run.pause' },
    { method: 'POST', pattern: '/v1/sessions/:id/actions/resume', access: 'run.resume' },
    { method: 'POST', pattern: '/v1/sessions/:id/actions/cancel', access: 'run.cancel' },
    { method: 'POST', pattern: '/v1/sessions/:id/actions/signal', access: 'session.signal' },
    // Admission slots and queue: reading, like the run list; the workflow socket: a progress stream
    { method: 'GET', pattern: '/api/v1/workflow-capacity', access: 'read' },
    { method: 'GET', pattern: '/workflow-capacity', access: 'read' }, // the bare path the issue names
    { method: 'GET', pattern: '/ws/workflows/:id', access: 'read', queryToken: true },
    { method: 'GET', pattern: '/api/v1/runs', access: 'read' },
    { method: 'GET', pattern: '/api/v1/runs/:id', access: 'read' },
    { method: 'POST', pattern: '/api/v1/runs', access: 'run.create' },
    // Dead letters (issue 12): failed steps across runs; bulk retry is steering, like one retry
    { method: 'POST', pattern: '/api/v1/runs/retry', access: 'step.retry' },
    { method: 'GET', pattern: '/api/v1/steps', access: 'read' },
    { method: 'POST', pattern: '/api/v1/steps/retry', access: 'step.retry' },
    { method: 'POST', pattern: '/api/v1/runs/:id/cancel', access: 'run.cancel' },
    { method: 'POST', pattern: '/api/v1/runs/:id/compensate', access: 'run.compensate' },
    { method: 'POST', pattern: '/api/v1/runs/:id/pause', access: 'run.pause' },
    { method: 'POST', pattern: '/api/v1/runs/:id/resume', access: 'run.resume' },
    { method: 'POST', pattern: '/api/v1/runs/:id/steps/:stepId/retry', access: 'step.retry' },
    { method: 'PATCH', pattern: '/api/v1/runs/:id/budget', access: 'run.budget' },
    // Progress streams
    { method: 'GET', pattern: '/api/v1/runs/:id/events', access: 'read', queryToken: true },
    { method: 'GET', pattern: '/api/v1/events', access: 'read', queryToken: true },
    { method: 'GET', pattern: '/api/v1/ws', access: 'read', queryToken: true },
    // Webhook subscriptions: anyone may read, admins write
    { method: 'GET', pattern: '/api/v1/webhooks', access: 'read' },
    { method: 'GET', pattern: '/api/v1/webhooks/:id', access: 'read' },
    { method: 'GET', pattern: '/api/v1/webhooks/:id/deliveries', access: 'read' },
    { method: 'POST', pattern: '/api/v1/webhooks', access: 'webhook.create' },
    { method: 'DELETE', pattern: '/api/v1/webhooks/:id', access: 'webhook.delete' },
    // Human checkpoints: operators decide
    { method: 'GET', pattern: '/api/v1/approvals', access: 'read' },
    { method: 'GET', pattern: '/api/v1/approvals/:id', access: 'read' },
    { method: 'POST', pattern: '/api/v1/approvals/:id/decision', access: 'approval.decide' },
    // A2A: JSON-RPC over one POST; submitting covers reading tasks too
    { method: 'POST', pattern: '/a2a', access: 'a2a.call' },
    // A2A v1.0 HTTP+JSON binding: the same methods as POST /a2a, so the same permission
    { method: 'POST', pattern: '/a2a/v1/message:send', access: 'a2a.call' },
    { method: 'POST', pattern: '/a2a/v1/message:stream', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v1/extendedAgentCard', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v1/tasks', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v1/tasks/:id', access: 'a2a.call' },
    { method: 'POST', pattern: '/a2a/v1/tasks/:id', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs', access: 'a2a.call' },
    { method: 'POST', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'a2a.call' },
    { method: 'DELETE', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'a2a.call' },
    // A2A v0.3 HTTP+JSON binding (its routes start with /v1/ below its base)
    { method: 'POST', pattern: '/a2a/v0.3/v1/message:send', access: 'a2a.call' },
    { method: 'POST', pattern: '/a2a/v0.3/v1/message:stream', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/card', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id', access: 'a2a.call' },
    { method: 'POST', pattern: '/a2a/v0.3/v1/tasks/:id', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs', access: 'a2a.call' },
    { method: 'POST', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs', access: 'a2a.call' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'a2a.call' },
    { method: 'DELETE', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'a2a.call' },
    // Tokens, and who the caller is
    { method: 'GET', pattern: '/api/v1/whoami', access: 'read' },
    { method: '*', pattern: '/api/v1/tokens', access: 'token.manage' },
    { method: '*', pattern: '/api/v1/tokens/:name', access: 'token.manage' },
    // Agent credentials (issue 13): tokens bound to a registered agent, managed like tokens
    { method: 'GET', pattern: '/api/v1/agents/:name/credentials', access: 'token.manage' },
    { method: 'POST', pattern: '/api/v1/agents/:name/credentials', access: 'token.manage' },
    { method: 'DELETE', pattern: '/api/v1/agents/:name/credentials/:id', access: 'token.manage' },
    // The operator dashboard's page, deep links and assets: public, it asks for a token itself
    { method: 'GET', pattern: '/dashboard', access: 'public' },
    { method: 'GET', pattern: '/dashboard/:a', access: 'public' },
    { method: 'GET', pattern: '/dashboard/:a/:b', access: 'public' },
    { method: 'GET', pattern: '/dashboard/:a/:b/:c', access: 'public' },
    // Sending a dead webhook delivery again: admins, like every webhook write
    { method: 'POST', pattern: '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver', access: 'webhook.redeliver' },
    // Cedar policy sets (issue 13): anyone may read them, admins store, activate and roll back
    { method: 'GET', pattern: '/api/v1/policies', access: 'read' },
    { method: 'GET', pattern: '/api/v1/policies/active', access: 'read' },
    // The decision log (denies and sensitive allows): admins only, it names every caller
    { method: 'GET', pattern: '/api/v1/policies/decisions', access: 'policy.log.read' },
    { method: 'GET', pattern: '/api/v1/policies/:version', access: 'read' },
    { method: 'GET', pattern: '/api/v1/policies/:version/diff', access: 'read' },
    { method: 'POST', pattern: '/api/v1/policies', access: 'policy.manage' },
    { method: 'POST', pattern: '/api/v1/policies/rollback', access: 'policy.manage' },
    // "Would this be allowed, and why?": evaluates only, so reading is enough
    { method: 'POST', pattern: '/api/v1/policies/evaluate', access: 'read' },
    { method: 'POST', pattern: '/api/v1/policies/:version/activate', access: 'policy.manage' },
    // The landing page and the API reference (Swagger UI's own files are served outside Nest's router)
    { method: 'GET', pattern: '/', access: 'public' },
    { method: 'GET', pattern: '/api/docs', access: 'public' },
    { method: 'GET', pattern: '/api/docs/openapi.json', access: 'public' },
    // The hub's mode, heartbeat and drain (issue 16): anyone may read, operators steer; the
    // backup contact role may read the state and drain (an emergency shutdown) only
    { method: 'GET', pattern: '/api/v1/system', access: 'system.view' },
    { method: 'POST', pattern: '/api/v1/system/mode', access: 'system.mode.set' },
    { method: 'POST', pattern: '/api/v1/system/heartbeat', access: 'system.heartbeat' },
    // The heartbeat webhook: its URL's signature (BATON_HEARTBEAT_SECRET) is the credential.
    { method: 'POST', pattern: '/api/v1/system/heartbeat/signed', access: 'public' },
    { method: 'POST', pattern: '/api/v1/system/drain', access: 'system.drain' },
    { method: 'GET', pattern: '/api/v1/system/doctor', access: 'read' },
    { method: 'POST', pattern: '/api/v1/system/doctor/fix', access: 'system.repair' },
    { method: 'GET', pattern: '/api/v1/doctor', access: 'read' },
    { method: 'POST', pattern: '/api/v1/doctor/fix', access: 'system.repair' },
    // MCP (Streamable HTTP): every role may connect; `tools/list` shows only the tools its role
    // may use, and each call is checked again by the tool and the service behind it.
    { method: 'POST', pattern: '/mcp', access: 'read' },
    { method: 'GET', pattern: '/mcp', access: 'read' },
    { method: 'DELETE', pattern: '/mcp', access: 'read' },
    // Worker nodes. The node protocol is `public` here because nodes do not hold API tokens:
    // registration checks the registration token and every other call the node's own token
    // (libs/nodes/src/http/node-auth.guard.ts). Operators read, admins steer.
    { method: 'POST', pattern: '/api/v1/nodes/register', access: 'public' },
    { method: 'GET', pattern: '/api/v1/nodes/:id/config', access: 'public' },
    { method: 'POST', pattern: '/api/v1/nodes/:id/config', access: 'public' },
    { method: 'POST', pattern: '/api/v1/nodes/:id/heartbeat', access: 'public' },
    { method: 'POST', pattern: '/api/v1/nodes/:id/claim', access: 'public' },
    { method: 'POST', pattern: '/api/v1/nodes/:id/jobs/:jobId/complete', access: 'public' },
    { method: 'POST', pattern: '/api/v1/nodes/:id/jobs/:jobId/fail', access: 'public' },
    { method: 'GET', pattern: '/api/v1/nodes', access: 'read' },
    { method: 'GET', pattern: '/api/v1/nodes/:id', access: 'read' },
    { method: 'PUT', pattern: '/api/v1/nodes/:id/config', access: 'node.manage' },
    { method: 'POST', pattern: '/api/v1/nodes/:id/drain', access: 'node.manage' },
    { method: 'DELETE', pattern: '/api/v1/nodes/:id', access: 'node.manage' },
    // Schedules (issue 15): a schedule is a standing order to submit runs with a fixed input,
    // so creating or changing one is configuration, like definitions and webhooks: admins.
    // Steering an existing one (pause, trigger, skip, backfill) is like steering runs: operators.
    { method: 'GET', pattern: '/api/v1/schedules', access: 'read' },
    { method: 'GET', pattern: '/api/v1/schedules/:id', access: 'read' },
    { method: 'GET', pattern: '/api/v1/schedules/:id/history', access: 'read' },
    { method: 'POST', pattern: '/api/v1/schedules', access: 'schedule.create' },
    { method: 'PATCH', pattern: '/api/v1/schedules/:id', access: 'schedule.manage' },
    { method: 'DELETE', pattern: '/api/v1/schedules/:id', access: 'schedule.manage' },
    { method: 'POST', pattern: '/api/v1/schedules/:id/pause', access: 'schedule.steer' },
    { method: 'POST', pattern: '/api/v1/schedules/:id/unpause', access: 'schedule.steer' },
    { method: 'POST', pattern: '/api/v1/schedules/:id/trigger', access: 'schedule.steer' },
    { method: 'POST', pattern: '/api/v1/schedules/:id/skip-next', access: 'schedule.steer' },
    { method: 'POST', pattern: '/api/v1/schedules/:id/backfill', access: 'schedule.steer' },
    // The agent bus (issue 14): agents send and pull their own inbox (the caller is the
    // sender/recipient; libs/messaging asks its MessagePolicy per message); admins register
    // types and read the whole message log. `inbox` is listed before `:id`: first match wins.
    { method: 'GET', pattern: '/api/v1/message-types', access: 'read' },
    { method: 'GET', pattern: '/api/v1/message-types/:name', access: 'read' },
    { method: 'GET', pattern: '/api/v1/message-types/:name/versions/:version', access: 'read' },
    { method: 'POST', pattern: '/api/v1/message-types', access: 'message_type.create' },
    { method: 'POST', pattern: '/api/v1/messages', access: 'message.send' },
    { method: 'GET', pattern: '/api/v1/messages/inbox', access: 'message.receive' },
    { method: 'GET', pattern: '/api/v1/messages/inbox/stream', access: 'message.receive', queryToken: true },
    { method: 'GET', pattern: '/api/v1/messages/inbox/endpoint', access: 'message.receive' },
    { method: 'PUT', pattern: '/api/v1/messages/inbox/endpoint', access: 'message.receive' },
    { method: 'DELETE', pattern: '/api/v1/messages/inbox/endpoint', access: 'message.receive' },
    { method: 'POST', pattern: '/api/v1/messages/inbox/:deliveryId/ack', access: 'message.receive' },
    { method: 'GET', pattern: '/api/v1/messages', access: 'message.log.read' },
    { method: 'GET', pattern: '/api/v1/messages/:id', access: 'message.log.read' },
    { method: 'GET', pattern: '/api/v1/topics/:topic/subscriptions', access: 'read' },
    { method: 'POST', pattern: '/api/v1/topics/:topic/subscriptions', access: 'message.receive' },
    { method: 'DELETE', pattern: '/api/v1/topics/:topic/subscriptions', access: 'message.receive' },
    // External events: agents and admins post them (idempotent by id), anyone may read
    { method: 'GET', pattern: '/api/v1/events/external', access: 'read' },
    { method: 'POST', pattern: '/api/v1/events/external', access: 'event.publish' },
  ];
}

/** The safe default for a route missing from the table: only `admin` holds `route.unlisted`. */
export const DEFAULT_RULE: Readonly<AccessRule> = { method: '*', pattern: '*', access: 'route.unlisted' };

interface CompiledRule {
  rule: AccessRule;
  segments: string[];
}

/** The table compiled for lookups; build it once per app. */
export class AccessPolicy {
  private readonly compiled: CompiledRule[];

  constructor(readonly rules: AccessRule[]) {
    this.compiled = rules.map((rule) => ({ rule, segments: splitPath(rule.pattern) }));
  }

  /** The rule for a request (`path` may carry a query string); DEFAULT_RULE when none matches. */
  ruleFor(method: string, path: string): AccessRule {
    const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    const segments = splitPath(path.split('?')[0] ?? '');
    for (const { rule, segments: pattern } of this.compiled) {
      if (rule.method !== '*' && rule.method !== verb) continue;
      if (matches(pattern, segments)) return rule;
    }
    return DEFAULT_RULE;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function matches(pattern: string[], segments: string[]): boolean {
  if (pattern.length !== segments.length) return false;
  return pattern.every((part, i) => part.startsWith(':') || part === segments[i]);
}
