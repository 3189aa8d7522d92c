import { Injectable } from '@nestjs/common';
import { AgentCallError, type Agent, type AgentClient, type InvocationContext } from '../agent.types.js';

/**
 * What serves `worker` agents: a queue that worker nodes pull from (libs/nodes binds it).
 * `dispatch` enqueues the step's job, idempotently per step attempt, and resolves with the
 * output a node completed it with (or throws an AgentCallError).
 */
export interface WorkerJobDispatcher {
  dispatch(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown>;
}

/**
 * The client for `kind: worker` agents. The nodes library stands above this one, so it
 * binds itself here at start-up (`bind`) instead of being imported; with no nodes library
 * wired, a worker agent's step fails with a clear, non-retryable error.
 */
@Injectable()
export class WorkerAgentClient implements AgentClient {
  readonly kind = 'worker' as const;
  private dispatcher: WorkerJobDispatcher | undefined;

  bind(dispatcher: WorkerJobDispatcher): void {
    this.dispatcher = dispatcher;
  }

  async invoke(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    if (!this.dispatcher) throw new AgentCallError(`agent ${agent.name} is a worker agent, but worker nodes are not enabled`, false, 'unsupported');
    return this.dispatcher.dispatch(agent, input, context, signal);
  }
}
