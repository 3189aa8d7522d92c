import { Inject, Injectable } from '@nestjs/common';
import { AgentActivityRepository, type AgentActivity } from '../repositories/agent-activity.repository.js';

export type { AgentActivity, AgentFailure } from '../repositories/agent-activity.repository.js';

/** How long back "recent failures" look. */
export const AGENT_FAILURE_WINDOW_MS = 60 * 60 * 1000;
/** How many recent failures are listed (all of them are counted). */
export const AGENT_FAILURE_LIMIT = 10;

/** What an agent's steps say about it: calls in flight, slots taken, recent failures. */
@Injectable()
export class AgentActivityService {
  constructor(@Inject(AgentActivityRepository) private readonly repository: AgentActivityRepository) {}

  activity(agent: string, now = new Date()): Promise<AgentActivity & { since: Date }> {
    const since = new Date(now.getTime() - AGENT_FAILURE_WINDOW_MS);
    return this.repository.activity(agent, since, AGENT_FAILURE_LIMIT).then((activity) => ({ ...activity, since }));
  }
}
