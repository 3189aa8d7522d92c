import { BatonError } from '@baton/common';
import type { Run } from './run.types.js';

/**
 * Who asks the run services to steer a run. Each door (REST, A2A, later MCP) builds it from
 * the authenticated caller; `controlsAnyRun` says whether the caller's role holds
 * `runs.control` (the identity library decides roles, and stands on this library's floor).
 * The ownership rule itself lives here, so no door can skip it.
 */
export type RunActor = { anonymous: true } | { tokenId: string; name: string; controlsAnyRun: boolean };

/** Auth off, `runs.control`, or the token that submitted the run; otherwise 403. */
export function assertMayControlRun(run: Run, actor: RunActor): void {
  if ('anonymous' in actor || actor.controlsAnyRun) return;
  if (run.submittedBy !== null && run.submittedBy === actor.tokenId) return;
  throw new BatonError('forbidden', `token ${actor.name} may only steer runs it submitted (or needs runs.control)`);
}
