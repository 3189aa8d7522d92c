import { chooseClaims, type AgentPlan, type ClaimCandidate } from './agent-choice.js';

const step = (id: string, fields: Partial<ClaimCandidate> = {}): ClaimCandidate => ({
  id, runId: 'r', agent: null, capability: null, servedBy: null, wakeReason: null, ...fields,
});

const plan = (fields: Partial<AgentPlan> = {}): AgentPlan => ({
  limits: new Map(), open: new Set(), halfOpen: new Set(), byCapability: new Map(), ...fields,
});

describe('chooseClaims', () => {
  it('parks a step whose named agent is open and leaves one whose agent is full queued', () => {
    const choice = chooseClaims(
      [step('a', { agent: 'down' }), step('b', { agent: 'busy' }), step('c', { agent: 'free' })],
      plan({ open: new Set(['down']), limits: new Map([['busy', 1]]) }),
      { free: 10, running: new Map([['busy', 1]]), lastUsed: new Map() },
    );
    expect(choice).toEqual({ claim: [{ id: 'c', servedBy: 'free' }], park: ['a'] });
  });

  it('routes a capability to a closed agent with a free slot, least recently used first, and counts its slot', () => {
    const choice = chooseClaims(
      [step('a', { capability: 'x' }), step('b', { capability: 'x' }), step('c', { capability: 'x' })],
      plan({ byCapability: new Map([['x', ['one', 'two', 'probe']]]), halfOpen: new Set(['probe']), limits: new Map([['one', 1], ['two', 1], ['probe', 1]]) }),
      { free: 10, running: new Map(), lastUsed: new Map([['one', 2], ['two', 1]]) },
    );
    // two (used longest ago), then one, then the half-open agent once the closed ones are full
    expect(choice.claim).toEqual([{ id: 'a', servedBy: 'two' }, { id: 'b', servedBy: 'one' }, { id: 'c', servedBy: 'probe' }]);
  });

  it('parks a capability step only when every agent having it is open', () => {
    const choice = chooseClaims(
      [step('a', { capability: 'x' }), step('b', { capability: 'y' })],
      plan({ byCapability: new Map([['x', ['down']], ['y', ['down', 'up']]]), open: new Set(['down']) }),
      { free: 10, running: new Map(), lastUsed: new Map() },
    );
    expect(choice).toEqual({ claim: [{ id: 'b', servedBy: 'up' }], park: ['a'] });
  });

  it('keeps a continuation with the agent that served it and stops at the global free count', () => {
    const choice = chooseClaims(
      [step('a', { capability: 'x', servedBy: 'two', wakeReason: 'recovered' }), step('b', { capability: 'x' })],
      plan({ byCapability: new Map([['x', ['one', 'two']]]) }),
      { free: 1, running: new Map(), lastUsed: new Map() },
    );
    expect(choice).toEqual({ claim: [{ id: 'a', servedBy: 'two' }], park: [] });
  });
});
