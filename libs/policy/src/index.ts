export { PolicyEngine, groupOf, type PolicyDecision, type PolicyPrincipal, type PolicyRequest } from './policy-engine.js';
export { ACTION_GROUPS, isPolicyAction, type PolicyAction, type ActionGroup } from './policy-actions.js';
export { cedarSchemaText, defaultPolicyText, policiesDir } from './policy-files.js';
export { lineAndColumn } from './policy-problems.js';
export { PolicyModule } from './policy.module.js';
