import { BatonError } from '@baton/common';
import { parseBudget } from './budget-reader.js';
import { validateDefinition } from './validate-definition.js';

const plan = (budget: unknown) => ({ name: 'b', version: '1', budget, steps: [{ id: 'a', agent: 'builtin:echo' }] });

function pathsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    return ((error as BatonError).details as Array<{ path: string }>).map((d) => d.path);
  }
  throw new Error('expected a validation error');
}

describe('budget on a definition', () => {
  it('reads the limits and on_exceed into the execution settings', () => {
    const result = validateDefinition(plan({ max_tokens: 5000, max_cost: 1.5, max_steps: 40, on_exceed: 'ask' }));
    expect(result.ok && result.definition.execution.budget).toEqual({ limits: { max_tokens: 5000, max_cost: 1.5, max_steps: 40 }, onExceed: 'ask' });
  });

  it('defaults on_exceed to fail', () => {
    const result = validateDefinition(plan({ max_wall_seconds: 60 }));
    expect(result.ok && result.definition.execution.budget?.onExceed).toBe('fail');
  });

  it('names the path of each bad field', () => {
    const result = validateDefinition(plan({ max_tokens: -1, max_cost: 'cheap', on_exceed: 'shrug', max_money: 3 }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path).sort()).toEqual(['budget.max_cost', 'budget.max_money', 'budget.max_tokens', 'budget.on_exceed']);
  });

  it('refuses an empty budget and a budget that is not an object', () => {
    const empty = validateDefinition(plan({}));
    expect(!empty.ok && empty.errors).toEqual([{ path: 'budget', message: expect.stringContaining('at least one of max_steps') }]);
    const list = validateDefinition(plan([1]));
    expect(!list.ok && list.errors[0]!.path).toBe('budget');
  });

  it('refuses a cost of 0 and fractional steps', () => {
    expect(pathsOf(() => parseBudget({ max_cost: 0, max_steps: 1.5 }))).toEqual(['budget.max_steps', 'budget.max_cost']);
  });

  it('refuses limits too large to store', () => {
    expect(pathsOf(() => parseBudget({ max_wall_seconds: 2 ** 31, max_tokens: 2 ** 40 }))).toEqual(['budget.max_wall_seconds']);
  });

  it('reads a partial update without a limit when told', () => {
    expect(parseBudget({ on_exceed: 'pause' }, '', { requireLimit: false })).toEqual({ limits: {}, onExceed: 'pause' });
    expect(pathsOf(() => parseBudget({ max_turns: 0 }, ''))).toEqual(['max_turns']);
  });
});
