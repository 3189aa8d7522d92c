export { PolicyModule } from './policy.module.js';
export { PolicyEngine, groupOf, type PolicyDecision, type PolicyPrincipal, type PolicyRequest } from './policy-engine.js';
export { PolicyService, POLICY_CHANNEL, type VersionRef } from './policy.service.js';
export { ACTION_GROUPS, isPolicyAction, type PolicyAction, type ActionGroup } from './policy-actions.js';
export { DEFAULT_POLICY_VERSION, type ActivePolicy, type PolicyVersion, type PolicySource } from './policy-version.types.js';
export { cedarSchemaText, defaultPolicyText, policiesDir } from './policy-files.js';
export { lineAndColumn } from './policy-problems.js';
