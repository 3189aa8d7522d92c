import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { AgentCallError, AgentRegistryService } from '@baton/agents';
import { BatonConfig } from '@baton/common';
import { Database } from '@baton/db';
import { domainEventName, type BreakerStateName, type NewAgentEvent } from '@baton/events';
import { AgentBreakerRepository, type AgentEventRecord } from './agent-breaker.repository.js';
import {
  afterFailure,
  closedBreaker,
  countsAgainstBreaker,
  resolveBreakerSettings,
  type BreakerRecord,
  type ResolvedBreakerSettings,
} from './breaker-state.js';

/** An agent's breaker as the API shows it (`GET /api/v1/agents/:name/health` uses this). */
export interface AgentBreakerView {
  agent: string;
  state: BreakerStateName;
  consecutive_failures: number;
  failure_threshold: number;
  reset_seconds: number;
  half_open_max_calls: number;
  opened_at: string | null;
  /** When an open breaker lets a probe through. */
  half_open_at: string | null;
  last_failure: BreakerRecord['lastFailure'];
  last_failure_at: string | null;
  /** The latest breaker transitions, newest first. */
  recent_events: Array<{ type: string; data: Record<string, unknown>; created_at: string }>;
}

/** Prometheus value of each state (`orchestration_agent_breaker_state`). */
export const BREAKER_STATE_VALUE: Record<BreakerStateName, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * Circuit breakers per agent, shared by every instance through `agent_breakers`. The step
 * executor reports each call's outcome here; the claim reads the states (`AgentPlanner`);
 * `FaultSweeper` half-opens breakers when their wait is over. Recording never throws: a
 * breaker that cannot be written must not fail the step whose call it describes.
 */
@Injectable()
export class AgentBreakerService {
  private readonly logger = new Logger('AgentBreakers');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(AgentBreakerRepository) private readonly breakers: AgentBreakerRepository,
    @Inject(AgentRegistryService) private readonly registry: AgentRegistryService,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
  ) {}

  /** The agent's settings with the defaults (CIRCUIT_BREAKER_FAILURE_THRESHOLD, CIRCUIT_BREAKER_RESET_SECONDS) applied. */
  async settingsOf(agent: string): Promise<ResolvedBreakerSettings> {
    const registered = await this.registry.find(agent);
    return resolveBreakerSettings(registered?.breaker, {
      failureThreshold: this.config.breakerFailureThreshold,
      resetSeconds: this.config.breakerResetSeconds,
    });
  }

  async recordSuccess(agent: string): Promise<void> {
    try {
      const from = await this.breakers.recordSuccess(agent, this.config.instanceId);
      if (from) this.emit({ agent, type: 'agent.breaker_closed', data: { from, to: 'closed', reason: 'probe_succeeded' } });
    } catch (error) {
      this.logger.warn(`could not record a success of agent ${agent}: ${(error as Error).message}`);
    }
  }

  /** Counts `error` against the agent when it says the agent is unwell (see `countsAgainstBreaker`). */
  async recordFailure(agent: string, error: unknown): Promise<void> {
    if (!countsAgainstBreaker(error)) return;
    const callError = error as AgentCallError;
    const failure = { message: callError.message, code: callError.code, ...(callError.status !== undefined ? { status: callError.status } : {}) };
    try {
      const settings = await this.settingsOf(agent);
      const opened = await this.db.transaction(async (tx) => {
        const before = await this.breakers.lock(agent, tx);
        const after = afterFailure(before, settings, failure, new Date());
        await this.breakers.save(after, tx);
        if (after.state !== 'open' || before.state === 'open') return null;
        const event: NewAgentEvent = {
          agent,
          type: 'agent.breaker_opened',
          data: { from: before.state, to: 'open', failures: after.consecutiveFailures, halfOpenAt: after.halfOpenAt!.toISOString(), error: { message: failure.message, code: failure.code } },
        };
        await this.breakers.appendEvents([event], this.config.instanceId, tx);
        return event;
      });
      if (opened) {
        this.logger.warn(`circuit breaker of agent ${agent} opened after ${opened.data.failures} failures`);
        this.emit(opened);
      }
    } catch (caught) {
      this.logger.warn(`could not record a failure of agent ${agent}: ${(caught as Error).message}`);
    }
  }

  /** Open breakers whose wait is over become half-open; returns the agents. */
  async promoteDue(): Promise<string[]> {
    const agents = await this.breakers.promoteDue(this.config.instanceId);
    for (const agent of agents) this.emit({ agent, type: 'agent.breaker_half_opened', data: { from: 'open', to: 'half_open' } });
    return agents;
  }

  /** An operator closes the breaker by hand (`POST /api/v1/agents/:name/breaker/reset`). */
  async reset(agent: string): Promise<AgentBreakerView> {
    await this.registry.get(agent); // 404 for an unknown agent
    const event = await this.db.transaction(async (tx) => {
      const before = await this.breakers.lock(agent, tx);
      await this.breakers.save(closedBreaker(agent), tx);
      const closed: NewAgentEvent = { agent, type: 'agent.breaker_closed', data: { from: before.state, to: 'closed', reason: 'reset' } };
      if (before.state !== 'closed') await this.breakers.appendEvents([closed], this.config.instanceId, tx);
      return before.state !== 'closed' ? closed : null;
    });
    if (event) this.emit(event);
    return this.stateOf(agent);
  }

  /** Stored breakers of these agents (agents without a row are closed). */
  states(agents: string[]): Promise<Map<string, BreakerRecord>> {
    return this.breakers.findMany(agents);
  }

  /**
   * One agent's breaker: state, counts, settings and its latest transitions. Meant for the
   * agent health endpoint; throws `not_found` for an unknown agent.
   */
  async stateOf(agent: string): Promise<AgentBreakerView> {
    await this.registry.get(agent);
    const [record, settings, events] = await Promise.all([
      this.breakers.findMany([agent]).then((found) => found.get(agent) ?? closedBreaker(agent)),
      this.settingsOf(agent),
      this.breakers.recentEvents(agent, 10),
    ]);
    return toView(record, settings, events);
  }

  /** Every stored breaker's state, for the metrics gauge. */
  async allStates(): Promise<Array<{ agent: string; state: BreakerStateName }>> {
    return (await this.breakers.listAll()).map((record) => ({ agent: record.agent, state: record.state }));
  }

  /** In-process, after commit: `orchestration.agent.breaker_opened` and so on. */
  private emit(event: NewAgentEvent): void {
    this.emitter.emit(domainEventName(event.type), { ...event, createdAt: new Date() });
  }
}

function toView(record: BreakerRecord, settings: ResolvedBreakerSettings, events: AgentEventRecord[]): AgentBreakerView {
  return {
    agent: record.agent,
    state: record.state,
    consecutive_failures: record.consecutiveFailures,
    failure_threshold: settings.failureThreshold,
    reset_seconds: settings.resetSeconds,
    half_open_max_calls: settings.halfOpenMaxCalls,
    opened_at: record.openedAt?.toISOString() ?? null,
    half_open_at: record.halfOpenAt?.toISOString() ?? null,
    last_failure: record.lastFailure,
    last_failure_at: record.lastFailureAt?.toISOString() ?? null,
    recent_events: events.map((e) => ({ type: e.type, data: e.data, created_at: e.createdAt.toISOString() })),
  };
}
