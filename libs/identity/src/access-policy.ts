import type { Permission } from './roles.js';

/**
 * THE access policy: every route Baton serves, by HTTP method and path pattern, with what it
 * asks of the caller. The global guard looks requests up here; no controller carries its own
 * role decorator, so this table is the one place to read (and review) who may do what.
 *
 * - `public`: no token needed, even when auth is on (probes, the A2A agent card).
 * - a permission: the caller's role must hold it (see `roles.ts`).
 * - anything not listed needs `admin`: a new route is locked until someone adds it here.
 *
 * `queryToken` routes also accept `?access_token=` because browsers' EventSource and
 * WebSocket cannot send an Authorization header; everywhere else only the header counts
 * (query strings end up in access logs).
 */
export type Access = 'public' | Permission;

export interface AccessRule {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
  /** Segments; `:name` matches any one segment. */
  pattern: string;
  access: Access;
  queryToken?: boolean;
}

export interface AccessPolicyOptions {
  /** BATON_METRICS_AUTH: `/metrics` needs a viewer token instead of being open. */
  metricsAuth?: boolean;
}

export function accessRules(options: AccessPolicyOptions = {}): AccessRule[] {
  return [
    // Probes and discovery
    { method: 'GET', pattern: '/health', access: 'public' },
    { method: 'GET', pattern: '/ready', access: 'public' },
    { method: 'GET', pattern: '/metrics', access: options.metricsAuth ? 'read' : 'public' },
    { method: 'GET', pattern: '/.well-known/agent-card.json', access: 'public' },
    // Definitions and agents: anyone may read, admins write
    { method: 'GET', pattern: '/api/v1/definitions', access: 'read' },
    { method: 'GET', pattern: '/api/v1/definitions/:name', access: 'read' },
    { method: 'GET', pattern: '/api/v1/definitions/:name/versions/:version', access: 'read' },
    { method: 'GET', pattern: '/api/v1/definitions/:name/versions', access: 'read' },
    { method: 'POST', pattern: '/api/v1/definitions', access: 'admin' },
    { method: 'GET', pattern: '/api/v1/agents', access: 'read' },
    { method: 'GET', pattern: '/api/v1/agents/:name', access: 'read' },
    { method: 'POST', pattern: '/api/v1/agents', access: 'admin' },
    { method: 'DELETE', pattern: '/api/v1/agents/:name', access: 'admin' },
    // Runs: agents submit, operators steer
    { method: 'GET', pattern: '/api/v1/runs', access: 'read' },
    { method: 'GET', pattern: '/api/v1/runs/:id', access: 'read' },
    { method: 'POST', pattern: '/api/v1/runs', access: 'runs.submit' },
    { method: 'POST', pattern: '/api/v1/runs/:id/cancel', access: 'runs.control' },
    { method: 'POST', pattern: '/api/v1/runs/:id/pause', access: 'runs.control' },
    { method: 'POST', pattern: '/api/v1/runs/:id/resume', access: 'runs.control' },
    { method: 'POST', pattern: '/api/v1/runs/:id/steps/:stepId/retry', access: 'runs.control' },
    // Progress streams
    { method: 'GET', pattern: '/api/v1/runs/:id/events', access: 'read', queryToken: true },
    { method: 'GET', pattern: '/api/v1/events', access: 'read', queryToken: true },
    { method: 'GET', pattern: '/api/v1/ws', access: 'read', queryToken: true },
    // Webhook subscriptions: anyone may read, admins write
    { method: 'GET', pattern: '/api/v1/webhooks', access: 'read' },
    { method: 'GET', pattern: '/api/v1/webhooks/:id', access: 'read' },
    { method: 'GET', pattern: '/api/v1/webhooks/:id/deliveries', access: 'read' },
    { method: 'POST', pattern: '/api/v1/webhooks', access: 'admin' },
    { method: 'DELETE', pattern: '/api/v1/webhooks/:id', access: 'admin' },
    // Human checkpoints: operators decide
    { method: 'GET', pattern: '/api/v1/approvals', access: 'read' },
    { method: 'GET', pattern: '/api/v1/approvals/:id', access: 'read' },
    { method: 'POST', pattern: '/api/v1/approvals/:id/decision', access: 'approvals.decide' },
    // A2A: JSON-RPC over one POST; submitting covers reading tasks too
    { method: 'POST', pattern: '/a2a', access: 'runs.submit' },
    // A2A v1.0 HTTP+JSON binding: the same methods as POST /a2a, so the same permission
    { method: 'POST', pattern: '/a2a/v1/message:send', access: 'runs.submit' },
    { method: 'POST', pattern: '/a2a/v1/message:stream', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v1/extendedAgentCard', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v1/tasks', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v1/tasks/:id', access: 'runs.submit' },
    { method: 'POST', pattern: '/a2a/v1/tasks/:id', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs', access: 'runs.submit' },
    { method: 'POST', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'runs.submit' },
    { method: 'DELETE', pattern: '/a2a/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'runs.submit' },
    // A2A v0.3 HTTP+JSON binding (its routes start with /v1/ below its base)
    { method: 'POST', pattern: '/a2a/v0.3/v1/message:send', access: 'runs.submit' },
    { method: 'POST', pattern: '/a2a/v0.3/v1/message:stream', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/card', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id', access: 'runs.submit' },
    { method: 'POST', pattern: '/a2a/v0.3/v1/tasks/:id', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs', access: 'runs.submit' },
    { method: 'POST', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs', access: 'runs.submit' },
    { method: 'GET', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'runs.submit' },
    { method: 'DELETE', pattern: '/a2a/v0.3/v1/tasks/:id/pushNotificationConfigs/:configId', access: 'runs.submit' },
    // Tokens, and who the caller is
    { method: 'GET', pattern: '/api/v1/whoami', access: 'read' },
    { method: '*', pattern: '/api/v1/tokens', access: 'admin' },
    { method: '*', pattern: '/api/v1/tokens/:name', access: 'admin' },
    // The operator dashboard's page, deep links and assets: public, it asks for a token itself
    { method: 'GET', pattern: '/dashboard', access: 'public' },
    { method: 'GET', pattern: '/dashboard/:a', access: 'public' },
    { method: 'GET', pattern: '/dashboard/:a/:b', access: 'public' },
    { method: 'GET', pattern: '/dashboard/:a/:b/:c', access: 'public' },
    // Sending a dead webhook delivery again: admins, like every webhook write
    { method: 'POST', pattern: '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver', access: 'admin' },
    // The landing page and the API reference (Swagger UI's own files are served outside Nest's router)
    { method: 'GET', pattern: '/', access: 'public' },
    { method: 'GET', pattern: '/api/docs', access: 'public' },
    { method: 'GET', pattern: '/api/docs/openapi.json', access: 'public' },
  ];
}

/** The safe default for a route missing from the table. */
export const DEFAULT_RULE: Readonly<AccessRule> = { method: '*', pattern: '*', access: 'admin' };

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
