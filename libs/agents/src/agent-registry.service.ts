import { Inject, Injectable } from '@nestjs/common';
import { BatonError, EgressPolicy, LruCache } from '@baton/common';
import type { Agent } from './agent.types.js';
import { AgentRepository } from './agent.repository.js';
import { validateRegistration, type RegisterAgentInput } from './agent-registration.js';
import { builtinAgent, builtinAgents, isBuiltinName } from './builtin-agents.js';

/**
 * How long a cached agent may be served. Writes through this process invalidate at once;
 * another instance's write (or delete) becomes visible here within this many milliseconds.
 * Short enough that a re-pointed agent takes effect quickly, long enough that a busy run
 * does not query the registry for every step.
 */
export const AGENT_CACHE_TTL_MS = 5_000;
const AGENT_CACHE_MAX = 1_000;
const CAPABILITY_CACHE_MAX = 200;

/**
 * The agent registry: registered agents (in the `agents` table) plus the `builtin:*` agents
 * in code. Structurally satisfies the definitions library's `AgentCatalog`, so the app can
 * bind `{ provide: AgentCatalog, useExisting: AgentRegistryService }`.
 */
@Injectable()
export class AgentRegistryService {
  private readonly byName = new LruCache<string, Agent>(AGENT_CACHE_MAX);
  private readonly byCapability = new LruCache<string, Agent[]>(CAPABILITY_CACHE_MAX);

  constructor(
    @Inject(AgentRepository) private readonly agents: AgentRepository,
    @Inject(EgressPolicy) private readonly egress: EgressPolicy,
  ) {}

  /**
   * Registers `input.name`, or replaces the agent of that name. Throws a validation error
   * naming each bad field, and then stores nothing.
   */
  async register(input: RegisterAgentInput): Promise<{ agent: Agent; created: boolean }> {
    const registration = validateRegistration(input, this.egress);
    const result = await this.agents.upsert(registration);
    this.invalidate(result.agent.name);
    return result;
  }

  /** The agent called `name` (registered or built in), or undefined. */
  async find(name: string): Promise<Agent | undefined> {
    if (isBuiltinName(name)) return builtinAgent(name);
    const cached = this.byName.get(name);
    if (cached) return cached;
    const agent = await this.agents.findByName(name);
    // Misses are not cached: an agent registered on another instance should work at once.
    if (agent) this.byName.set(name, agent, AGENT_CACHE_TTL_MS);
    return agent;
  }

  /** Like `find`, but a missing agent is a `not_found` error (404 over HTTP). */
  async get(name: string): Promise<Agent> {
    const agent = await this.find(name);
    if (!agent) throw BatonError.notFound('agent', name);
    return agent;
  }

  /** The agents among `names` that exist, by name; one query for those not cached. */
  async findMany(names: string[]): Promise<Map<string, Agent>> {
    const found = new Map<string, Agent>();
    const missing: string[] = [];
    for (const name of new Set(names)) {
      const agent = isBuiltinName(name) ? builtinAgent(name) : this.byName.get(name);
      if (agent) found.set(name, agent);
      else if (!isBuiltinName(name)) missing.push(name);
    }
    if (missing.length > 0) {
      for (const agent of await this.agents.findByNames(missing)) {
        this.byName.set(agent.name, agent, AGENT_CACHE_TTL_MS);
        found.set(agent.name, agent);
      }
    }
    return found;
  }

  /**
   * Every agent ordered by name, built-ins included; with `capability`, only registered
   * agents having it (built-ins have no capabilities).
   */
  async list(filter: { capability?: string } = {}): Promise<Agent[]> {
    if (filter.capability !== undefined) return this.agents.listByCapability(filter.capability);
    const stored = await this.agents.listAll();
    return [...stored, ...builtinAgents()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Registered agents having `capability`, ordered by name; cached like `find`. */
  async findByCapability(capability: string): Promise<Agent[]> {
    const cached = this.byCapability.get(capability);
    if (cached) return cached;
    const agents = await this.agents.listByCapability(capability);
    if (agents.length > 0) this.byCapability.set(capability, agents, AGENT_CACHE_TTL_MS);
    return agents;
  }

  /** Removes a registered agent. Built-ins cannot be removed; an unknown name is `not_found`. */
  async remove(name: string): Promise<void> {
    if (isBuiltinName(name)) throw new BatonError('conflict', `built-in agent ${name} cannot be removed`);
    const deleted = await this.agents.delete(name);
    this.invalidate(name);
    if (!deleted) throw BatonError.notFound('agent', name);
  }

  /** The names in `names` that are neither registered nor built in (the `AgentCatalog` contract). */
  async unknownAgents(names: string[]): Promise<string[]> {
    const known = await this.findMany(names);
    return [...new Set(names)].filter((name) => !known.has(name));
  }

  private invalidate(name: string): void {
    this.byName.delete(name);
    // A write can add or drop any capability, so every capability answer may be stale.
    this.byCapability.clear();
  }
}
