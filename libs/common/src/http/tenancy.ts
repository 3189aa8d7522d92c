import { BatonError } from '../baton-error.js';

/**
 * Tenancy (issue 13). A token may be bound to one owner; it then reaches only that owner's
 * runs, definitions, approvals, webhooks, schedules, workflows and A2A tasks. Everything else
 * Baton serves is hub configuration (agents, patterns, nodes, policies, tokens, the system).
 *
 * These helpers live on floor 0 so that every feature library can ask the same question of
 * a request without importing `identity`: the access guard sets `request.principal`, read
 * here by shape (`owner` is a string only for bound tokens).
 */

/** The owner the caller's token is bound to; undefined for all-owner tokens and with auth off. */
export function boundOwnerOf(request: object): string | undefined {
  const principal = (request as { principal?: { owner?: unknown } }).principal;
  return typeof principal?.owner === 'string' ? principal.owner : undefined;
}

/** May a caller bound to `bound` (undefined: all owners) reach an object of `owner`? */
export function ownerReaches(bound: string | undefined, owner: string | null): boolean {
  return bound === undefined || owner === bound;
}

/**
 * Another owner's object does not exist for a bound caller: the same 404 (same body) as a
 * truly missing one, so ids cannot be probed across owners.
 */
export function assertOwnerReaches(bound: string | undefined, owner: string | null, resource: string, id: string): void {
  if (!ownerReaches(bound, owner)) throw BatonError.notFound(resource, id);
}

/**
 * The owner a bound caller creates objects for: its own. An explicit other owner is refused
 * (403): a bound token never writes into another owner. Unbound callers keep what they gave.
 */
export function ownerForCreate(bound: string | undefined, given: string | undefined, field = 'owner'): string | undefined {
  if (bound === undefined) return given;
  if (given !== undefined && given !== bound) {
    throw new BatonError('forbidden', `this token is bound to owner ${bound}; ${field} may not be ${JSON.stringify(given)}`);
  }
  return bound;
}
