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
  return FACTORIES[spec.name](spec, task, seed);
}
