import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { StepKindRegistry, UNKNOWN_STEP_TYPE, stepKindRegistryProvider } from './step-kind-registry.js';
import { StepFailure, toStepError } from './step-failure.js';
import { REPORTED, type StepKind, type StepOutcome } from './step-kind.js';

@Injectable()
class AgentKind implements StepKind {
  readonly types = ['agent'];
  async run(): Promise<StepOutcome> {
    return REPORTED;
  }
}

@Injectable()
class WaitingKinds implements StepKind {
  readonly types = ['wait', 'checkpoint'];
  async run(): Promise<StepOutcome> {
    return REPORTED;
  }
}

@Injectable()
class RivalAgentKind implements StepKind {
  readonly types = ['agent'];
  async run(): Promise<StepOutcome> {
    return REPORTED;
  }
}

describe('StepKindRegistry', () => {
  it('finds the kind registered for each of its types', () => {
    const agent = new AgentKind();
    const waiting = new WaitingKinds();
    const registry = new StepKindRegistry([agent, waiting]);
    expect(registry.kindOf('agent')).toBe(agent);
    expect(registry.kindOf('wait')).toBe(waiting);
    expect(registry.kindOf('checkpoint')).toBe(waiting);
    expect(registry.types()).toEqual(['agent', 'checkpoint', 'wait']);
  });

  it('fails an unknown type for good, naming it and the types it knows', () => {
    const registry = new StepKindRegistry([new AgentKind()]);
    let thrown: unknown;
    try {
      registry.kindOf('teleport');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StepFailure);
    // The executor records it like any step failure: not retryable, so no attempt is wasted.
    expect(toStepError(thrown, 1)).toEqual({
      message: 'no step kind runs steps of type "teleport" (known: agent)',
      code: UNKNOWN_STEP_TYPE,
      retryable: false,
      attempt: 1,
      details: { type: 'teleport' },
    });
  });

  it('refuses two kinds claiming one type, naming both', () => {
    expect(() => new StepKindRegistry([new AgentKind(), new WaitingKinds(), new RivalAgentKind()])).toThrow(
      'step type "agent" is registered twice: by AgentKind and by RivalAgentKind',
    );
  });

  it('builds from the kinds providers when the module starts', async () => {
    const kinds = [AgentKind, WaitingKinds];
    const app = await Test.createTestingModule({ providers: [...kinds, stepKindRegistryProvider(kinds)] }).compile();
    try {
      expect(app.get(StepKindRegistry).kindOf('wait')).toBe(app.get(WaitingKinds));
    } finally {
      await app.close();
    }
  });

  it('refuses to start a module whose kinds claim one type twice', async () => {
    const kinds = [AgentKind, RivalAgentKind];
    await expect(Test.createTestingModule({ providers: [...kinds, stepKindRegistryProvider(kinds)] }).compile()).rejects.toThrow(
      'step type "agent" is registered twice',
    );
  });
});
