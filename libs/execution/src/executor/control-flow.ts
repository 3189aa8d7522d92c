import type { LoopSpec, TemplateContext } from '@baton/definitions';
import type { IterationDecision } from '@baton/runs';

/**
 * True when every dependency was skipped by a condition: then this step is skipped too
 * (branch and merge, as in GitHub Actions). One completed dependency, or a dependency
 * skipped after failures (`allow_skip`), lets it run. A step without dependencies never is.
 */
export function skippedByUpstream(dependsOn: readonly string[], steps: TemplateContext['steps']): boolean {
  if (dependsOn.length === 0) return false;
  return dependsOn.every((id) => {
    const dep = steps[id];
    return dep?.status === 'skipped' && dep.skipReason === 'condition';
  });
}

/** What follows iteration `iteration` (from 1) of a loop, given whether `until` held. */
export function nextAfterIteration(loop: LoopSpec, iteration: number, untilHeld: boolean, attempt: number): IterationDecision {
  if (untilHeld) return { complete: true };
  if (iteration < loop.maxIterations) return { next: true };
  if (loop.onMax === 'complete') return { complete: true };
  const message = `loop reached max_iterations (${loop.maxIterations}) before until (\`${loop.until}\`) held`;
  return { fail: { message, code: 'loop_max_iterations', retryable: false, attempt, details: { iteration } } };
}
