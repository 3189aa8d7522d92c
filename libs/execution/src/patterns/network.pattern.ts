import type { PatternSpec } from '@baton/definitions';
import { asAnswer, contractError, names, type HistoryEntry, type Move, type PatternRun, type TurnResult } from './pattern-logic.js';

/**
 * network: every agent may pass to every other. The active agent gets `{ task, state,
 * history, from }` and answers `{ state_patch?, next | final }`; `state_patch` is merged into
 * the shared `state` (top-level keys; null deletes). Finishes with `{ final, state }`.
 */
export function networkPattern(spec: PatternSpec, task: unknown): PatternRun {
  const team = new Set(spec.agents.map((a) => a.name));
  let current = spec.start ?? spec.agents[0]!.name;
  let from: string | null = null;
  const state: Record<string, unknown> = { ...(spec.state ?? {}) };
  const history: HistoryEntry[] = [];
  let finished: { output: unknown } | null = null;
  return {
    next(): Move {
      if (finished) return { finish: finished.output };
      return { calls: [{ agent: current, input: { task, state: { ...state }, history: [...history], from } }] };
    },
    record([result]: TurnResult[]): void {
      const answer = asAnswer(current, result!.output, '{ state_patch?, next | final }');
      history.push({ agent: current, output: result!.output });
      const patch = answer.state_patch;
      if (patch !== undefined && patch !== null) {
        if (typeof patch !== 'object' || Array.isArray(patch)) throw contractError(`agent "${current}": state_patch must be an object`);
        for (const [key, value] of Object.entries(patch)) {
          if (value === null) delete state[key];
          else state[key] = value;
        }
      }
      if ('final' in answer) {
        finished = { output: { final: answer.final, state: { ...state } } };
        return;
      }
      if (typeof answer.next !== 'string' || !team.has(answer.next)) {
        throw contractError(`agent "${current}" chose next ${JSON.stringify(answer.next)}, who is not in the team (${names(spec.agents)}); answer { next } or { final }`);
      }
      from = current;
      current = answer.next;
    },
    partial: () => ({ final: null, state: { ...state } }),
  };
}
