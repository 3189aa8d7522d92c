import type { PatternSpec } from '@baton/definitions';
import type { Move, PatternRun } from './pattern-logic.js';
import { startPattern } from './patterns.js';

const team = (...names: string[]) => names.map((name) => ({ name, agent: 'builtin:echo' }));
const spec = (over: Partial<PatternSpec>): PatternSpec => ({ name: 'supervisor', maxTurns: 10, onMaxTurns: 'fail', agents: team('boss', 'a', 'b'), ...over });

/** Drives a pattern with scripted answers per agent; returns who was called and the end. */
function drive(run: PatternRun, answers: Record<string, unknown[]>): { called: string[]; finish: unknown } {
  const called: string[] = [];
  for (let guard = 0; guard < 50; guard++) {
    const move: Move = run.next();
    if ('finish' in move) return { called, finish: move.finish };
    run.record(move.calls.map((call) => {
      called.push(call.agent);
      return { agent: call.agent, output: answers[call.agent]!.shift() };
    }));
  }
  throw new Error('did not finish');
}

describe('pattern logic', () => {
  it('supervisor: routes to the chosen workers and finishes with FINISH output, the same way on replay', () => {
    const answers = () => ({ boss: [{ next: 'a', input: 1 }, { next: 'b' }, { next: 'FINISH', output: 'done' }], a: ['A'], b: ['B'] });
    const first = drive(startPattern(spec({}), 'task'), answers());
    expect(first).toEqual({ called: ['boss', 'a', 'boss', 'b', 'boss'], finish: 'done' });
    expect(drive(startPattern(spec({}), 'task'), answers())).toEqual(first);
  });

  it('supervisor: FINISH without output ends with the last worker output; an unknown worker is a contract error', () => {
    expect(drive(startPattern(spec({}), 't'), { boss: [{ next: 'a' }, { next: 'FINISH' }], a: ['A'] }).finish).toBe('A');
    expect(() => drive(startPattern(spec({}), 't'), { boss: [{ next: 'zed' }] })).toThrow(/chose "zed", which is not a worker/);
    expect(() => drive(startPattern(spec({}), 't'), { boss: ['not an object'] })).toThrow(/must answer an object/);
  });

  it('handoff: follows handoffs, refuses a route that routes do not list', () => {
    const routes = { boss: ['a'], a: ['b'] };
    const ok = drive(startPattern(spec({ name: 'handoff', routes }), 't'), { boss: [{ handoff: { to: 'a' } }], a: [{ handoff: { to: 'b', input: 'x' } }], b: [{ final: 42 }] });
    expect(ok).toEqual({ called: ['boss', 'a', 'b'], finish: 42 });
    expect(() => drive(startPattern(spec({ name: 'handoff', routes }), 't'), { boss: [{ handoff: { to: 'b' } }] })).toThrow(/route refused: "boss" may not hand off to "b"/);
  });

  it('swarm: starts with the thread\'s active agent and remembers who spoke last', () => {
    const run = startPattern(spec({ name: 'swarm' }), 't', { thread: { activeAgent: 'b', history: [{ agent: 'a', output: 'old' }] } });
    expect(drive(run, { b: [{ final: 'hi' }] }).called).toEqual(['b']);
    expect(run.thread!()).toEqual({ activeAgent: 'b', history: [{ agent: 'a', output: 'old' }, { agent: 'b', output: { final: 'hi' } }] });
  });

  it('network: merges state patches (null deletes) and finishes with final and state', () => {
    const run = startPattern(spec({ name: 'network', state: { keep: 1, drop: 2 } }), 't');
    const result = drive(run, { boss: [{ state_patch: { x: 1, drop: null }, next: 'a' }], a: [{ state_patch: { y: 2 }, final: 'ok' }] });
    expect(result.finish).toEqual({ final: 'ok', state: { keep: 1, x: 1, y: 2 } });
  });

  it('concurrent: calls everyone but the aggregator at once, then the aggregator', () => {
    const run = startPattern(spec({ name: 'concurrent', aggregator: 'boss' }), 't');
    const first = run.next() as { calls: { agent: string }[] };
    expect(first.calls.map((c) => c.agent)).toEqual(['a', 'b']);
    run.record([{ agent: 'a', output: 1 }, { agent: 'b', output: 2 }]);
    expect(run.next()).toEqual({ calls: [{ agent: 'boss', input: { task: 't', results: { a: 1, b: 2 } } }] });
  });

  it('group_chat: round robin until the condition holds', () => {
    const run = startPattern(spec({ name: 'group_chat' }), 't', { until: (ctx) => (ctx.turn as number) >= 4 });
    expect(drive(run, { boss: [1, 4], a: [2], b: [3] }).called).toEqual(['boss', 'a', 'b', 'boss']);
  });
});
