import { StepFailure } from '../executor/step-failure.js';

/**
 * group_chat `until`. CEL comes with issue 9's expressions (branch s3-flow); until it is
 * merged, only the condition `last.done == true` style is not available, so a definition
 * with `until` is refused at validation and this is never reached.
 */
export function compileUntil(source: string, path: string): (context: Record<string, unknown>) => boolean {
  throw new StepFailure(`${path}: conditions need CEL, which this build does not have (${source})`, false, 'invalid_condition');
}
