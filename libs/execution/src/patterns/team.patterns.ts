import { FINISH, type PatternSpec } from '@baton/definitions';
import { asAnswer, contractError, names, roster, type HistoryEntry, type Move, type PatternRun, type PatternSeed, type TurnResult } from './pattern-logic.js';

/**
 * sequential: the agents in order, each given `{ task, input, history }` where `input` is the
 * previous agent's output (the task for the first). Finishes with the last output.
 */
export function sequentialPattern(spec: PatternSpec, task: unknown): PatternRun {
  const history: HistoryEntry[] = [];
  let index = 0;
  const last = (): unknown => history[history.length - 1]?.output ?? null;
  return {
    next(): Move {
      if (index >= spec.agents.length) return { finish: last() };
      const input = history.length > 0 ? last() : task;
      return { calls: [{ agent: spec.agents[index]!.name, input: { task, input, history: [...history] } }] };
    },
    record([result]: TurnResult[]): void {
      history.push({ agent: result!.agent, output: result!.output });
      index += 1;
    },
    partial: last,
  };
}

/**
 * concurrent: every agent but the aggregator on the same `{ task }` at once; then the
 * aggregator (if any) gets `{ task, results }` (outputs by agent name) and its output is the
 * pattern's; without one the pattern finishes with `results`.
 */
export function concurrentPattern(spec: PatternSpec, task: unknown): PatternRun {
  const members = spec.agents.filter((a) => a.name !== spec.aggregator);
  let results: Record<string, unknown> | null = null;
  let finished: { output: unknown } | null = null;
  return {
    next(): Move {
      if (finished) return { finish: finished.output };
      if (!results) return { calls: members.map((a) => ({ agent: a.name, input: { task } })) };
      return { calls: [{ agent: spec.aggregator!, input: { task, results } }] };
    },
    record(turns: TurnResult[]): void {
      if (results) {
        finished = { output: turns[0]!.output };
        return;
      }
      results = Object.fromEntries(turns.map((t) => [t.agent, t.output]));
      if (!spec.aggregator) finished = { output: results };
    },
    partial: () => results,
  };
}

/**
 * group_chat: a shared transcript; the next speaker is picked by the selector (which gets
 * `{ task, transcript, participants }` and answers `{ next: <name> | "FINISH" }`) or round
 * robin. A speaker gets `{ task, transcript }`; its output joins the transcript. `until`
 * (CEL over `task`, `transcript`, `last`, `turn`) is checked after each message. Finishes
 * with `{ last, transcript }`.
 */
export function groupChatPattern(spec: PatternSpec, task: unknown, seed: PatternSeed): PatternRun {
  const speakers = spec.agents.filter((a) => a.name !== spec.selector);
  const transcript: HistoryEntry[] = [];
  let pending: string | null = null;
  let finished = false;
  let spoken = 0;
  const outcome = (): unknown => ({ last: transcript[transcript.length - 1]?.output ?? null, transcript: [...transcript] });
  return {
    next(): Move {
      if (finished) return { finish: outcome() };
      if (pending) return { calls: [{ agent: pending, input: { task, transcript: [...transcript] } }] };
      if (spec.selector) return { calls: [{ agent: spec.selector, input: { task, transcript: [...transcript], participants: roster(speakers) } }] };
      return { calls: [{ agent: speakers[spoken % speakers.length]!.name, input: { task, transcript: [...transcript] } }] };
    },
    record([result]: TurnResult[]): void {
      if (spec.selector && !pending) {
        const answer = asAnswer(spec.selector, result!.output, '{ next }');
        if (answer.next === FINISH) finished = true;
        else if (typeof answer.next === 'string' && speakers.some((s) => s.name === answer.next)) pending = answer.next;
        else throw contractError(`selector "${spec.selector}" chose ${JSON.stringify(answer.next)}, who is not a participant (${names(speakers)}; or "FINISH")`);
        return;
      }
      transcript.push({ agent: result!.agent, output: result!.output });
      pending = null;
      spoken += 1;
      if (seed.until?.({ task, transcript: [...transcript], last: result!.output, turn: spoken })) finished = true;
    },
    partial: outcome,
  };
}
