import { AgentCallError, type InvocationContext } from '../agent.types.js';
import { builtinAgent } from '../builtin-agents.js';
import { BuiltinAgentClient } from './builtin-agent.client.js';
import { expectWithinBound, since } from '@baton/testing';

const client = new BuiltinAgentClient();
const context = (attempt: number): InvocationContext => ({ runId: 'r', stepId: 's', stepKey: 'k', attempt });
const run = (name: string, input: unknown, attempt = 1, signal = AbortSignal.timeout(5_000)) =>
  client.invoke(builtinAgent(name)!, input, context(attempt), signal);
const failure = (promise: Promise<unknown>): Promise<AgentCallError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(AgentCallError);
      return error as AgentCallError;
    },
  );

describe('built-in agents', () => {
  it('echo returns its input unchanged', async () => {
    const input = { a: [1, 2], b: { c: 'd' } };
    expect(await run('builtin:echo', input)).toEqual(input);
  });

  it('transform returns the rendered input as output', async () => {
    expect(await run('builtin:transform', { summary: 'x' })).toEqual({ summary: 'x' });
  });

  it('script answers the item at index, and fails clearly past the end', async () => {
    expect(await run('builtin:script', { items: [{ next: 'a' }, { next: 'FINISH' }], index: 1 })).toEqual({ next: 'FINISH' });
    const past = await failure(run('builtin:script', { items: ['only'], index: 1 }));
    expect([past.code, past.retryable, past.message]).toEqual(['script_exhausted', false, 'builtin:script has no item 1 (it has 1)']);
    expect((await failure(run('builtin:script', { index: 0 }))).code).toBe('invalid_input');
  });

  it('delay waits at least ms, then returns output when given', async () => {
    const started = Date.now();
    expect(await run('builtin:delay', { ms: 120, output: { done: true } })).toEqual({ done: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('delay returns its input when there is no output', async () => {
    expect(await run('builtin:delay', { ms: 0, note: 'n' })).toEqual({ ms: 0, note: 'n' });
  });

  it('delay stops at once when the caller aborts, as a non-retryable cancel', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await failure(run('builtin:delay', { ms: 5_000 }, 1, controller.signal));
    expect(error).toMatchObject({ code: 'cancelled', retryable: false });
    expectWithinBound('an aborted 5 s delay', since(started), 3_000);
  });

  it('delay reports a deadline as a retryable timeout', async () => {
    const error = await failure(run('builtin:delay', { ms: 5_000 }, 1, AbortSignal.timeout(50)));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('delay caps a huge ms at the longest timer instead of overflowing it into no wait at all', async () => {
    // An overflowing setTimeout fires after 1 ms; a capped one is still waiting at the deadline.
    for (const ms of [1e12, Number.MAX_VALUE, Number.POSITIVE_INFINITY]) {
      const error = await failure(run('builtin:delay', { ms, output: 'too soon' }, 1, AbortSignal.timeout(50)));
      expect(error).toMatchObject({ code: 'timeout' });
    }
  });

  it('delay refuses a missing ms without retry', async () => {
    expect(await failure(run('builtin:delay', { output: 1 }))).toMatchObject({ code: 'invalid_input', retryable: false });
  });

  it('fail fails while attempt <= times, then succeeds', async () => {
    const input = { times: 2, message: 'flaky', output: { ok: true } };
    expect(await failure(run('builtin:fail', input, 1))).toMatchObject({ message: 'flaky', retryable: true });
    expect(await failure(run('builtin:fail', input, 2))).toMatchObject({ message: 'flaky', retryable: true });
    expect(await run('builtin:fail', input, 3)).toEqual({ ok: true });
  });

  it('fail always fails without times, and honours retryable: false', async () => {
    expect(await failure(run('builtin:fail', {}, 50))).toMatchObject({ retryable: true });
    expect(await failure(run('builtin:fail', { retryable: false }, 1))).toMatchObject({ retryable: false });
  });

  it('refuses an unknown built-in name without retry', async () => {
    const agent = { ...builtinAgent('builtin:echo')!, name: 'builtin:nope' };
    const error = await failure(client.invoke(agent, {}, context(1), AbortSignal.timeout(1_000)));
    expect(error).toMatchObject({ code: 'unknown_agent', retryable: false });
  });
});
