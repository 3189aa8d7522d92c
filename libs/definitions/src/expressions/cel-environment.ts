import { Environment } from '@marcbachmann/cel-js';

/**
 * The variables every expression may name, with their CEL types. `input`, `item` and the
 * extension variables are `dyn`: they hold whatever JSON a client or agent sent. `index` and
 * `iteration` are ints, so `iteration < 3` type-checks.
 */
export const CORE_VARIABLES = ['input', 'steps', 'item', 'index', 'run', 'iteration'] as const;

/** Names other constructs add (patterns, waits); declared by whoever evaluates them. */
export const EXTENSION_VARIABLES = ['turn', 'history', 'state', 'event'] as const;

const CEL_TYPES: Record<string, string> = {
  input: 'dyn',
  steps: 'map',
  item: 'dyn',
  index: 'int',
  run: 'map',
  iteration: 'int',
};

/** Structural limits checked while parsing: small, because a condition is one line of logic. */
const LIMITS = { maxAstNodes: 1000, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 };

// One environment per distinct set of declared names; there are only a handful of sets.
const environments = new Map<string, Environment>();

/** The CEL environment declaring exactly `declared` (each with its type, `dyn` when unknown). */
export function environmentFor(declared: readonly string[]): Environment {
  const names = [...new Set(declared)].sort();
  const key = names.join(',');
  let env = environments.get(key);
  if (!env) {
    env = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: LIMITS });
    for (const name of names) env.registerVariable(name, CEL_TYPES[name] ?? 'dyn');
    environments.set(key, env);
  }
  return env;
}
