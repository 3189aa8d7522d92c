import type { PatternSpec } from '@baton/definitions';
import { asAnswer, contractError, names, type HistoryEntry, type Move, type PatternRun, type PatternSeed, type ThreadState, type TurnResult } from './pattern-logic.js';

/** The most history entries a swarm thread keeps (oldest dropped first). */
export const THREAD_HISTORY_LIMIT = 200;

/**
 * handoff (and swarm, which adds a thread): the active agent gets `{ task, input, history,
 * from, reason }` and answers `{ handoff: { to, input?, reason? } }` or `{ final }`.
 * `routes` limits who may hand off to whom; a refused route fails the step, naming it.
 */
export function handoffPattern(spec: PatternSpec, task: unknown, seed: PatternSeed): PatternRun {
  const team = new Set(spec.agents.map((a) => a.name));
  const resumed = seed.thread?.activeAgent && team.has(seed.thread.activeAgent) ? seed.thread.activeAgent : null;
  let current = resumed ?? spec.start ?? spec.agents[0]!.name;
  const history: HistoryEntry[] = [...(seed.thread?.history ?? [])];
  let input: unknown = task;
  let from: string | null = null;
  let reason: unknown = null;
  let finished: { output: unknown } | null = null;
  return {
    next(): Move {
      if (finished) return { finish: finished.output };
      return { calls: [{ agent: current, input: { task, input, history: [...history], from, reason } }] };
    },
    record([result]: TurnResult[]): void {
      const answer = asAnswer(current, result!.output, '{ handoff: { to, input?, reason? } } or { final }');
      history.push({ agent: current, output: result!.output });
      if ('final' in answer) {
        finished = { output: answer.final };
        return;
      }
      const handoff = answer.handoff as Record<string, unknown> | undefined;
      if (!handoff || typeof handoff !== 'object' || typeof handoff.to !== 'string') {
        throw contractError(`agent "${current}" must answer { handoff: { to } } or { final }`);
      }
      const to = handoff.to;
      if (!team.has(to)) throw contractError(`agent "${current}" handed off to "${to}", who is not in the team (${names(spec.agents)})`);
      const allowed = spec.routes ? (spec.routes[current] ?? []) : null;
      if (allowed && !allowed.includes(to)) {
        throw contractError(`route refused: "${current}" may not hand off to "${to}" (routes.${current}: [${allowed.join(', ')}])`, { from: current, to });
      }
      from = current;
      current = to;
      if (handoff.input !== undefined) input = handoff.input;
      reason = handoff.reason ?? null;
    },
    partial: () => history[history.length - 1]?.output ?? null,
    thread: (): ThreadState => ({ activeAgent: current, history: history.slice(-THREAD_HISTORY_LIMIT) }),
  };
}
