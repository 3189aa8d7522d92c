import { Injectable } from '@nestjs/common';
import { AgentCallError, type Agent, type AgentClient, type InvocationContext } from '../agent.types.js';
import { sleep } from './abort.js';

type Input = Record<string, unknown>;

/**
 * The `builtin:*` agents. They are deterministic on purpose: tests and demos use them to
 * make steps succeed, wait, fail a set number of times, or pass data through.
 */
@Injectable()
export class BuiltinAgentClient implements AgentClient {
  readonly kind = 'builtin' as const;

  async invoke(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    switch (agent.name) {
      case 'builtin:echo':
      // The step executor has already rendered the template; the result is the output.
      case 'builtin:transform':
        return input;
      case 'builtin:delay':
        return delay(input, signal);
      case 'builtin:fail':
        return fail(input, context);
      case 'builtin:script':
        return script(input);
      default:
        throw new AgentCallError(`unknown built-in agent ${agent.name}`, false, 'unknown_agent');
    }
  }
}

function asObject(input: unknown): Input {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Input) : {};
}

/**
 * The longest wait: Node's timers hold 2^31-1 ms (about 24.8 days) and fire at once, with
 * a warning, beyond it. The step timeout ends any real wait long before.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/** `{ ms, output? }`: waits `ms` (at most MAX_DELAY_MS, honouring the abort signal), then returns `output ?? input`. */
async function delay(input: unknown, signal: AbortSignal): Promise<unknown> {
  const { ms, output } = asObject(input);
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new AgentCallError('builtin:delay needs input.ms, a number >= 0', false, 'invalid_input');
  }
  await sleep(Math.min(ms, MAX_DELAY_MS), signal);
  return output ?? input;
}

/**
 * `{ times?, message?, retryable? }`: fails while `attempt <= times` (always when `times` is
 * absent). Counting by `context.attempt`, not in memory, keeps the behaviour the same when a
 * retry lands on another instance or after a restart.
 */
function fail(input: unknown, context: InvocationContext): unknown {
  const { times, message, retryable, output } = asObject(input);
  const limit = typeof times === 'number' ? times : Number.POSITIVE_INFINITY;
  if (context.attempt <= limit) {
    const text = typeof message === 'string' ? message : `builtin:fail failed attempt ${context.attempt}`;
    throw new AgentCallError(text, typeof retryable === 'boolean' ? retryable : true);
  }
  return output ?? input;
}

/**
 * `{ items, index }`: answers `items[index]`. A pattern step sends the participant's
 * `settings.items` and how many turns that participant has taken, so a team of scripts
 * replays the same conversation every time: patterns are rehearsed without a model.
 */
function script(input: unknown): unknown {
  const { items, index } = asObject(input);
  if (!Array.isArray(items)) throw new AgentCallError('builtin:script needs input.items, a list (settings.items in a pattern)', false, 'invalid_input');
  const at = typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 ? index : 0;
  if (at >= items.length) throw new AgentCallError(`builtin:script has no item ${at} (it has ${items.length})`, false, 'script_exhausted');
  return items[at];
}
