import { FINISH, type PatternSpec } from '@baton/definitions';
import { asAnswer, contractError, names, roster, type HistoryEntry, type Move, type PatternRun, type TurnResult } from './pattern-logic.js';

/**
 * supervisor: the supervisor gets `{ task, history, workers }` and answers
 * `{ next: <worker> | "FINISH", input?, output? }`; the chosen worker gets `input` (default:
 * the task) and its output joins `history`. FINISH ends with `output` (default: the last
 * worker's output).
 */
export function supervisorPattern(spec: PatternSpec, task: unknown): PatternRun {
  const boss = spec.supervisor ?? spec.agents[0]!.name;
  const workers = spec.agents.filter((a) => a.name !== boss);
  const history: HistoryEntry[] = [];
  let pending: { agent: string; input: unknown } | null = null;
  let finished: { output: unknown } | null = null;
  const last = (): unknown => history[history.length - 1]?.output ?? null;
  return {
    next(): Move {
      if (finished) return { finish: finished.output };
      if (pending) return { calls: [pending] };
      return { calls: [{ agent: boss, input: { task, history: [...history], workers: roster(workers) } }] };
    },
    record([result]: TurnResult[]): void {
      if (pending) {
        history.push({ agent: pending.agent, input: pending.input, output: result!.output });
        pending = null;
        return;
      }
      const answer = asAnswer(boss, result!.output, '{ next, input?, output? }');
      if (answer.next === FINISH) {
        finished = { output: answer.output !== undefined ? answer.output : last() };
      } else if (typeof answer.next === 'string' && workers.some((w) => w.name === answer.next)) {
        pending = { agent: answer.next, input: answer.input !== undefined ? answer.input : task };
      } else {
        throw contractError(`supervisor "${boss}" chose ${JSON.stringify(answer.next)}, which is not a worker (workers: ${names(workers)}; or "FINISH")`);
      }
    },
    partial: last,
  };
}
