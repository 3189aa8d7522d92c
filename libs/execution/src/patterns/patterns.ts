import type { PatternName, PatternSpec } from '@baton/definitions';
import { handoffPattern } from './handoff.pattern.js';
import { networkPattern } from './network.pattern.js';
import type { PatternFactory, PatternRun, PatternSeed } from './pattern-logic.js';
import { supervisorPattern } from './supervisor.pattern.js';
import { concurrentPattern, groupChatPattern, sequentialPattern } from './team.patterns.js';

const FACTORIES: Record<PatternName, PatternFactory> = {
  supervisor: supervisorPattern,
  handoff: handoffPattern,
  swarm: handoffPattern,
  network: networkPattern,
  sequential: sequentialPattern,
  concurrent: concurrentPattern,
  group_chat: groupChatPattern,
};

/** Starts one execution of `spec` on `task`. */
export function startPattern(spec: PatternSpec, task: unknown, seed: PatternSeed = {}): PatternRun {
  if (spec.custom) return customPattern(spec, task);
  return FACTORIES[spec.name as PatternName](spec, task, seed);
}

/** A custom pattern: one turn that runs its definition as a child run on `{ task, settings }`. */
function customPattern(spec: PatternSpec, task: unknown): PatternRun {
  let finished: { output: unknown } | null = null;
  return {
    next: () => (finished ? { finish: finished.output } : { calls: [{ agent: spec.agents[0]!.name, input: { task, settings: spec.custom!.settings } }] }),
    record: ([result]) => void (finished = { output: result!.output }),
    partial: () => null,
  };
}
