import { Injectable } from '@nestjs/common';
import { AgentCallError, type Agent, type AgentClient, type InvocationContext } from '../agent.types.js';

/**
 * Placeholder for agents that speak A2A JSON-RPC. Registering them already works, so
 * definitions can name them; calling them fails at once (not retryable) until the A2A
 * client lands, instead of burning retries on something that cannot succeed.
 */
@Injectable()
export class A2aAgentClient implements AgentClient {
  readonly kind = 'a2a' as const;

  async invoke(_agent: Agent, _input: unknown, _context: InvocationContext, _signal: AbortSignal): Promise<unknown> {
    throw new AgentCallError('a2a agents are not supported yet', false, 'unsupported');
  }
}
