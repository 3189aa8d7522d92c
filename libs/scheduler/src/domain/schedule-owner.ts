import { BatonError } from '@baton/common';
import type { Schedule } from './schedule.types.js';

/**
 * Tenancy (issue 13). A schedule belongs to the owner of the runs it starts: its target
 * definition's owner (`''`, no owner, for inline plans and unowned definitions). Nothing is
 * stored for it; the target already says whose runs a fire starts.
 */
export function scheduleOwner(schedule: Pick<Schedule, 'target'>): string {
  return 'definition' in schedule.target ? (schedule.target.definition.owner ?? '') : '';
}

/**
 * A create or update body from a token bound to `bound`: the target must be a saved
 * definition of its own owner (the owner defaults to it; another owner's, or an inline plan,
 * which would start unowned runs, is refused with 403). Unbound callers' bodies pass as given.
 */
export function ownedScheduleBody(body: unknown, bound: string | undefined): unknown {
  if (bound === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const raw = body as Record<string, unknown>;
  if (raw.plan !== undefined) {
    throw new BatonError('forbidden', `this token is bound to owner ${bound}; it schedules saved definitions of its owner, not inline plans`);
  }
  if (raw.definition === undefined) return body;
  const ref = typeof raw.definition === 'string' ? { name: raw.definition } : raw.definition;
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) return body; // the parser names the field
  const owner = (ref as { owner?: unknown }).owner ?? bound;
  if (owner !== bound) throw new BatonError('forbidden', `this token is bound to owner ${bound}; it may not schedule runs of owner ${String(owner)}`);
  return { ...raw, definition: { ...ref, owner } };
}
