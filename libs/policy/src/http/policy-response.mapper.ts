import type { LoggedDecision } from '../decision-log/policy-decision.types.js';
import type { ActivePolicy, PolicyVersion } from '../policy-version.types.js';

export interface PolicyVersionResponse {
  version: number;
  hash: string;
  source: string;
  description: string | null;
  createdBy: string | null;
  createdAt: string;
  active: boolean;
  policy?: string;
}

export function toVersionResponse(version: PolicyVersion, active: ActivePolicy, withBody = false): PolicyVersionResponse {
  return {
    version: version.version,
    hash: version.hash,
    source: version.source,
    description: version.description,
    createdBy: version.createdBy,
    createdAt: version.createdAt.toISOString(),
    active: active.version === version.version,
    ...(withBody ? { policy: version.body } : {}),
  };
}

export function toActiveResponse(active: ActivePolicy, withBody = false) {
  return {
    version: active.version,
    hash: active.hash,
    activatedAt: active.activatedAt?.toISOString() ?? null,
    activatedBy: active.activatedBy,
    ...(withBody ? { policy: active.body } : {}),
  };
}

export function toDecisionResponse(decision: LoggedDecision) {
  return {
    id: decision.id,
    at: decision.at.toISOString(),
    principal: decision.principal,
    action: decision.action,
    resource: decision.resource,
    decision: decision.decision,
    policyVersion: decision.policyVersion,
    reasons: decision.reasons,
    errors: decision.errors,
  };
}
