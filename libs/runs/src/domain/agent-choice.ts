/**
 * Which agent serves each claimable step, decided inside the claim transaction. `runs` does
 * not know agents or breakers; the claimer (execution) passes an `AgentPlan` describing
 * them, and this pure function applies it to the candidates in queue order.
 */

/** A queued step that may be claimed now. */
export interface ClaimCandidate {
  id: string;
  runId: string;
  /** The agent the definition names (`agent:`), or null. */
  agent: string | null;
  /** The capability the definition asks for (`capability:`), or null. */
  capability: string | null;
  /** The agent that served its last attempt (a continuation keeps it). */
  servedBy: string | null;
  /** Set when the claim continues an attempt (woken, recovered). */
  wakeReason: string | null;
}

/** How agents may be used at this moment. */
export interface AgentPlan {
  /**
   * Calls allowed at once per agent: its `maxConcurrency`, or its breaker's
   * `half_open_max_calls` while half-open (the smaller of the two). Absent: no limit.
   */
  limits: Map<string, number>;
  /** Agents whose breaker is open: they get no calls, and steps only they can serve are parked. */
  open: ReadonlySet<string>;
  /** Agents whose breaker is half-open: probed, but chosen for a capability only after closed ones. */
  halfOpen: ReadonlySet<string>;
  /** Registered agents per capability asked for by a candidate. */
  byCapability: Map<string, string[]>;
}

/** What to do with the candidates: claim these (with the agent that serves), park those. */
export interface ClaimChoice {
  claim: Array<{ id: string; servedBy: string | null }>;
  park: string[];
}

export interface ChoiceState {
  /** Global slots left for this claimer. */
  free: number;
  /** Running steps per agent now (updated as steps are chosen). */
  running: Map<string, number>;
  /** When each agent was last given a step (ms), for least-recently-used order. */
  lastUsed: Map<string, number>;
}

/**
 * Goes through the candidates in order. A step naming an agent is claimed when that agent
 * has a free slot and is not open, parked when it is open, left queued when it is full. A
 * step asking for a capability goes to the best agent having it: closed before half-open,
 * with a free slot, least recently used first; it is parked only when every such agent is
 * open. A step with no registered agent for its capability is claimed unrouted, so the
 * executor fails it with a clear error instead of it waiting forever.
 */
export function chooseClaims(candidates: ClaimCandidate[], plan: AgentPlan, state: ChoiceState): ClaimChoice {
  const choice: ClaimChoice = { claim: [], park: [] };
  let clock = Date.now();
  const hasSlot = (agent: string): boolean => {
    const limit = plan.limits.get(agent);
    return limit === undefined || (state.running.get(agent) ?? 0) < limit;
  };
  const take = (id: string, agent: string | null): void => {
    choice.claim.push({ id, servedBy: agent });
    state.free--;
    if (agent) {
      state.running.set(agent, (state.running.get(agent) ?? 0) + 1);
      state.lastUsed.set(agent, ++clock);
    }
  };
  for (const candidate of candidates) {
    if (state.free <= 0) break;
    // A continuation (woken, recovered) stays with the agent that holds its conversation.
    const pinned = candidate.agent ?? (candidate.wakeReason ? candidate.servedBy : null);
    if (pinned) {
      if (plan.open.has(pinned)) choice.park.push(candidate.id);
      else if (hasSlot(pinned)) take(candidate.id, pinned);
      continue;
    }
    if (!candidate.capability) {
      take(candidate.id, null);
      continue;
    }
    const options = plan.byCapability.get(candidate.capability) ?? [];
    if (options.length === 0) {
      take(candidate.id, null);
      continue;
    }
    const healthy = options.filter((name) => !plan.open.has(name));
    if (healthy.length === 0) {
      choice.park.push(candidate.id);
      continue;
    }
    const best = healthy.filter(hasSlot).sort((a, b) => rank(a, plan, state) - rank(b, plan, state) || (a < b ? -1 : 1))[0];
    if (best) take(candidate.id, best);
  }
  return choice;
}

/** Lower is better: half-open agents after closed ones, then the least recently used. */
function rank(agent: string, plan: AgentPlan, state: ChoiceState): number {
  return (plan.halfOpen.has(agent) ? 1e15 : 0) + (state.lastUsed.get(agent) ?? 0);
}
