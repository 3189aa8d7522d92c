import { contentHash } from '@baton/common';

export interface CacheIdentity {
  definitionId: string;
  definitionVersion: string;
  /** The owner (organization) the run belongs to: outputs are never shared across owners. */
  owner: string;
  stepId: string;
  agent: string;
  input: unknown;
  /** The rendered prompt, when the step has one: it is part of what the agent is asked. */
  prompt?: string;
}

/** SHA-256 over the canonical JSON of the step's identity and rendered input. */
export function stepCacheKey(identity: CacheIdentity): string {
  return contentHash({
    definition: { id: identity.definitionId, version: identity.definitionVersion },
    owner: identity.owner,
    step: identity.stepId,
    agent: identity.agent,
    input: identity.input ?? null,
    ...(identity.prompt !== undefined && { prompt: identity.prompt }),
  });
}
