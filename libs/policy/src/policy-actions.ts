/**
 * Baton's Cedar actions, by the group (today's permission) each belongs to. Mirrors
 * `policies/baton.cedarschema`; `policy-actions.spec.ts` checks the two agree.
 */
export const ACTION_GROUPS = {
  read: 'read',
  'run.create': 'runs.submit',
  'a2a.call': 'runs.submit',
  'run.cancel': 'runs.control',
  'run.pause': 'runs.control',
  'run.resume': 'runs.control',
  'step.retry': 'runs.control',
  // Saga compensation by hand (issue 12): steering a failed run, like retry
  'run.compensate': 'runs.control',
  // Raising a run tree's budget (issue 9): steering, like pause and resume
  'run.budget': 'runs.control',
  // Sessions (issue 13): delivering data to a session's waiting step, like publishing an event
  'session.signal': 'runs.submit',
  'approval.decide': 'approvals.decide',
  // A2A tasks (issue 13): the gateway's per-task rules; a submitter reaches its own tasks
  'task.read': 'runs.control',
  'task.control': 'runs.control',
  'task.continue': 'approvals.decide',
  'definition.create': 'admin',
  'pattern.create': 'admin',
  'agent.create': 'admin',
  'agent.delete': 'admin',
  'webhook.create': 'admin',
  'webhook.delete': 'admin',
  'webhook.redeliver': 'admin',
  'token.manage': 'admin',
  // Replacing Baton's call-token signing key (issue 13, docs/security.md)
  'signing_key.rotate': 'admin',
  'policy.manage': 'admin',
  'schedule.create': 'admin',
  'schedule.manage': 'admin',
  // Pause, unpause, trigger, skip-next, backfill: steering, like a run's
  'schedule.steer': 'runs.control',
  'step.dispatch': 'admin',
  // The agent bus (issue 14, docs/messaging.md): agents send, receive and publish events
  'message.send': 'runs.submit',
  'message.receive': 'runs.submit',
  'event.publish': 'runs.submit',
  'message_type.create': 'admin',
  'message.log.read': 'admin',
  // The policy decision log (issue 13): who was denied what, and sensitive allows
  'policy.log.read': 'admin',
  'route.unlisted': 'admin',
  // The hub's mode, heartbeat, drain and doctor (issue 16, docs/operations.md)
  'system.view': 'system.read',
  'system.drain': 'system.shutdown',
  'system.mode.set': 'runs.control',
  'system.heartbeat': 'runs.control',
  'system.repair': 'runs.control',
  // Fault tolerance (issue 12, docs/fault-tolerance.md): closing an agent's circuit breaker is steering
  'agent.breaker.reset': 'runs.control',
  // Worker nodes (issue 15, docs/nodes.md)
  'node.manage': 'admin',
} as const;

export type PolicyAction = keyof typeof ACTION_GROUPS;
export type ActionGroup = (typeof ACTION_GROUPS)[PolicyAction];

export function isPolicyAction(value: unknown): value is PolicyAction {
  return typeof value === 'string' && Object.hasOwn(ACTION_GROUPS, value);
}
