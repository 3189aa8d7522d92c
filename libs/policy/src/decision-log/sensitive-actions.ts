import type { PolicyAction } from '../policy-actions.js';

/**
 * Actions whose allows are logged too (every deny is): changing who may do what (policies,
 * tokens), the agents that run work, people's decisions, and the hub's own mode. Reads,
 * run submissions and step dispatches are not: they are the bulk of traffic and their
 * history is the event log. Documented in docs/policy.md#the-decision-log.
 */
export const SENSITIVE_ACTIONS: ReadonlySet<PolicyAction> = new Set<PolicyAction>([
  'policy.manage',
  'policy.log.read',
  'token.manage',
  'agent.create',
  'agent.delete',
  'agent.breaker.reset',
  'approval.decide',
  'node.manage',
  'webhook.create',
  'webhook.delete',
  'system.drain',
  'system.mode.set',
  'system.repair',
  'route.unlisted',
]);

export function isSensitive(action: PolicyAction): boolean {
  return SENSITIVE_ACTIONS.has(action);
}
