import { LruCache } from '@baton/common';
import type { PolicyDecision, PolicyRequest } from './policy-engine.js';

/** Decisions kept per loaded set. */
const MAX_DECISIONS = 5_000;

/**
 * The decisions of one loaded policy set, keyed by what the set can read of a request.
 * Cedar is deterministic (no clock, no I/O: everything it sees is in the request), so the
 * same request always gets the same decision. A context attribute the set's text never
 * names cannot change a decision (Cedar reads attributes only by a literal name:
 * `context.runId`, `context["runId"]`, `context has runId`), so it is left out of the key:
 * `step.dispatch` carries the run and step ids, which the default set never reads, and its
 * decisions are then shared by every step of a definition on an agent. A set that uses the
 * context as a whole (`context == …`) keys on all of it.
 */
export class DecisionCache {
  private readonly decisions = new LruCache<string, PolicyDecision>(MAX_DECISIONS);
  private readonly named = new Map<string, boolean>();
  private readonly wholeContext: boolean;
  hits = 0;
  misses = 0;

  constructor(private readonly text: string) {
    this.wholeContext = /\bcontext\b(?!\s*(\.|\[|has\b))/.test(text);
  }

  /** The cached decision for `request`, or the one `evaluate` makes (then kept). */
  decide(request: PolicyRequest, evaluate: () => PolicyDecision): PolicyDecision {
    const key = this.keyOf(request);
    const cached = this.decisions.get(key);
    if (cached) {
      this.hits++;
      return copy(cached);
    }
    this.misses++;
    const decision = evaluate();
    this.decisions.set(key, copy(decision));
    return decision;
  }

  private keyOf(request: PolicyRequest): string {
    const context = request.context ?? {};
    const read: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(context)) if (this.wholeContext || this.names(name)) read[name] = value;
    return JSON.stringify([request.action, request.principal, request.resource, read]);
  }

  /** Whether the set's text names `attribute` anywhere (as a word: conservative). */
  private names(attribute: string): boolean {
    let found = this.named.get(attribute);
    if (found === undefined) {
      found = new RegExp(`\\b${attribute.replace(/[^A-Za-z0-9_]/g, '\\$&')}\\b`).test(this.text);
      this.named.set(attribute, found);
    }
    return found;
  }
}

function copy(decision: PolicyDecision): PolicyDecision {
  return { ...decision, reasons: [...decision.reasons], errors: [...decision.errors] };
}
