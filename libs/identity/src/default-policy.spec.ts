import { ACTION_GROUPS, defaultPolicyText, PolicyEngine } from '@baton/policy';
import { accessRules } from './access-policy.js';
import { PERMISSIONS, ROLES, roleAllows, type Permission } from './roles.js';

/**
 * The default Cedar policy set is the role table of `roles.ts` written in Cedar: for every
 * role and every action a route asks for, both must agree. (Checkpoints, MCP tools and the
 * run services still ask `roleAllows`, so the two may not drift apart.)
 */
describe('the default Cedar policy set', () => {
  const engine = new PolicyEngine();
  engine.load('default', defaultPolicyText());
  // Every action a route asks for (step.dispatch and the task.* actions are asked by code, not by routes).
  const actions = [...new Set(accessRules({ metricsAuth: true }).flatMap((rule) => (rule.access === 'public' ? [] : [rule.access])))];
  actions.push('route.unlisted');

  it.each(ROLES.map((role) => [role]))('decides for %s exactly what roles.ts grants', (role) => {
    const cedar: Record<string, boolean> = {};
    const table: Record<string, boolean> = {};
    for (const action of actions) {
      const decision = engine.decide({
        principal: { type: 'Token', id: `t-${role}`, name: role, role },
        action,
        resource: { type: 'Route', id: 'GET /x' },
      });
      expect(decision.errors).toEqual([]);
      cedar[action] = decision.allowed;
      table[action] = roleAllows(role, ACTION_GROUPS[action] as Permission);
    }
    expect(cedar).toEqual(table);
  });

  it('has a group (a permission of roles.ts) for every action the route table uses', () => {
    for (const rule of accessRules({ metricsAuth: true })) {
      if (rule.access === 'public') continue;
      expect(PERMISSIONS).toContain(ACTION_GROUPS[rule.access]);
    }
  });

  it('names the policy that allowed', () => {
    const decision = engine.decide({
      principal: { type: 'Token', id: 't', name: 'op', role: 'operator' },
      action: 'run.cancel',
      resource: { type: 'Route', id: 'POST /api/v1/runs/:id/cancel' },
    });
    expect(decision).toEqual({ allowed: true, version: 'default', reasons: ['operators-steer'], errors: [] });
  });
});
