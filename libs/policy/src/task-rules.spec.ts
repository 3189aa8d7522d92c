import { defaultPolicyText } from './policy-files.js';
import type { PolicyAction } from './policy-actions.js';
import { PolicyEngine, type PolicyRequest } from './policy-engine.js';

/** The A2A gateway's per-task questions (libs/a2a/src/tasks/task-access.ts), under the default set. */
const ask = (role: string, action: PolicyAction, submitter: string | null, tokenId = 'tok-me'): PolicyRequest => ({
  principal: { type: 'Token', id: tokenId, name: role, role },
  action,
  resource: submitter === null
    ? { type: 'Hub', id: 'tasks' }
    : { type: 'Run', id: 'run-1', attrs: { owner: '', ...(submitter ? { submitter: { type: 'Token' as const, id: submitter } } : {}) } },
});

describe('A2A task rules in the default set', () => {
  const engine = new PolicyEngine();
  engine.load('default', defaultPolicyText());
  const allowed = (request: PolicyRequest) => {
    const decision = engine.decide(request);
    expect(decision.errors).toEqual([]);
    return decision.allowed;
  };

  it('lets an agent read, control and continue only the tasks it submitted', () => {
    for (const action of ['task.read', 'task.control', 'task.continue'] as const) {
      expect(allowed(ask('agent', action, 'tok-me'))).toBe(true);
      expect(allowed(ask('agent', action, 'tok-other'))).toBe(false);
      expect(allowed(ask('agent', action, ''))).toBe(false); // submitted by nobody (not over A2A)
    }
    expect(allowed(ask('agent', 'task.read', null))).toBe(false); // not "every task"
  });

  it('lets runs.control holders reach every task, and approvals.decide holders continue any', () => {
    for (const role of ['operator', 'admin']) {
      expect(allowed(ask(role, 'task.read', null))).toBe(true);
      expect(allowed(ask(role, 'task.control', 'tok-other'))).toBe(true);
      expect(allowed(ask(role, 'task.continue', 'tok-other'))).toBe(true);
    }
    expect(allowed(ask('viewer', 'task.read', 'tok-other'))).toBe(false);
  });
});
