import {
  BudgetExceededError,
  callEstimate,
  exhaustedLimit,
  proposedLimits,
  readUsage,
  reservationVerdict,
  warningsDue,
  type BudgetState,
} from './budget.js';

function budget(overrides: Partial<BudgetState> = {}): BudgetState {
  return {
    rootRunId: 'root',
    limits: { max_tokens: 1000 },
    onExceed: 'fail',
    spent: { steps: 0, turns: 0, tokens: 0, cost: 0, wallSeconds: 0 },
    reserved: { tokens: 0, cost: 0, calls: 0, steps: 0 },
    settledCalls: 0,
    largestCall: { tokens: 0, cost: 0 },
    warned: [],
    exceeded: null,
    ...overrides,
  };
}

const spent = (s: Partial<BudgetState['spent']>) => ({ steps: 0, turns: 0, tokens: 0, cost: 0, wallSeconds: 0, ...s });

describe('budget reservations', () => {
  it('reserves nothing before the first call settles, and lets only that one call run', () => {
    expect(callEstimate(budget())).toEqual({ tokens: 0, cost: 0 });
    expect(reservationVerdict(budget())).toBe('fits');
    expect(reservationVerdict(budget({ reserved: { tokens: 0, cost: 0, calls: 1, steps: 0 } }))).toBe('wait');
  });

  it('reserves the largest call so far once one has settled', () => {
    const state = budget({ settledCalls: 3, largestCall: { tokens: 120, cost: 0.5 }, spent: spent({ tokens: 300 }) });
    expect(callEstimate(state)).toEqual({ tokens: 120, cost: 0.5 });
    expect(reservationVerdict(state)).toBe('fits');
  });

  it('waits while calls in flight hold the room a new call needs', () => {
    // 300 spent + 600 reserved by five calls in flight + 120 for this one > 1000, but 300 + 120 fits alone.
    const state = budget({ settledCalls: 3, largestCall: { tokens: 120, cost: 0 }, spent: spent({ tokens: 300 }), reserved: { tokens: 600, cost: 0, calls: 5, steps: 0 } });
    expect(reservationVerdict(state)).toBe('wait');
  });

  it('is exceeded when the call cannot fit even with nothing else in flight', () => {
    const state = budget({ settledCalls: 8, largestCall: { tokens: 120, cost: 0 }, spent: spent({ tokens: 900 }), reserved: { tokens: 0, cost: 0, calls: 0, steps: 0 } });
    expect(reservationVerdict(state)).toEqual({ exceeded: 'max_tokens' });
    expect(reservationVerdict(budget({ spent: spent({ tokens: 1000 }) }))).toEqual({ exceeded: 'max_tokens' });
  });

  it('checks cost the same way as tokens', () => {
    const state = budget({ limits: { max_cost: 2 }, settledCalls: 1, largestCall: { tokens: 0, cost: 0.75 }, spent: spent({ cost: 1.5 }) });
    expect(reservationVerdict(state)).toEqual({ exceeded: 'max_cost' });
  });
});

describe('budget warnings', () => {
  it('warns at 80 % of a limit, not before', () => {
    expect(warningsDue(budget({ spent: spent({ tokens: 799 }) }))).toEqual([]);
    expect(warningsDue(budget({ spent: spent({ tokens: 800 }) }))).toEqual(['max_tokens']);
  });

  it('warns once per limit, and for each limit on its own', () => {
    const state = budget({ limits: { max_tokens: 1000, max_steps: 10 }, spent: spent({ tokens: 900, steps: 8 }), warned: ['max_tokens'] });
    expect(warningsDue(state)).toEqual(['max_steps']);
  });
});

describe('budget limits', () => {
  it('lets steps reach max_steps but not go past it', () => {
    expect(exhaustedLimit(budget({ limits: { max_steps: 3 }, spent: spent({ steps: 3 }) }))).toBeNull();
    expect(exhaustedLimit(budget({ limits: { max_steps: 3 }, spent: spent({ steps: 4 }) }))).toBe('max_steps');
  });

  it('is out of tokens, cost and time once they reach the limit', () => {
    expect(exhaustedLimit(budget({ spent: spent({ tokens: 999 }) }))).toBeNull();
    expect(exhaustedLimit(budget({ spent: spent({ tokens: 1000 }) }))).toBe('max_tokens');
    expect(exhaustedLimit(budget({ limits: { max_wall_seconds: 60 }, spent: spent({ wallSeconds: 61 }) }))).toBe('max_wall_seconds');
  });

  it('names the limit, the spend and the maximum in the error', () => {
    const error = new BudgetExceededError('max_tokens', budget({ spent: spent({ tokens: 1040 }) }));
    expect(error.message).toBe('budget exceeded: max_tokens (spent 1040 of 1000)');
    expect(error.code).toBe('budget_exceeded');
    expect(error.rootRunId).toBe('root');
  });

  it('proposes a raise past what was spent, keeping the other limits', () => {
    const state = budget({ limits: { max_tokens: 1000, max_steps: 5 }, spent: spent({ tokens: 1500 }) });
    expect(proposedLimits(state, 'max_tokens')).toEqual({ max_tokens: 2500, max_steps: 5 });
    expect(proposedLimits(budget({ limits: { max_steps: 5 } }), 'max_steps')).toEqual({ max_steps: 10 });
  });
});

describe('reported usage', () => {
  it('reads tokens and cost, ignoring what is not a non-negative number', () => {
    expect(readUsage({ tokens: 120, cost: 0.02 })).toEqual({ tokens: 120, cost: 0.02 });
    expect(readUsage({ tokens: 12.6 })).toEqual({ tokens: 13, cost: 0 });
    expect(readUsage({ tokens: -5, cost: 'a lot' })).toBeNull();
    expect(readUsage('100 tokens')).toBeNull();
    expect(readUsage(undefined)).toBeNull();
  });
});
