import { AGENT_CARD_PATH, type AgentCard } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type Client,
} from '@a2a-js/sdk/client';
import { AgentCallError, type Agent } from '../../agent.types.js';
import { snippet } from './a2a-errors.js';
import { agentFetch } from './agent-fetch.js';

/** How long a fetched card is trusted before it is revalidated. */
export const AGENT_CARD_TTL_MS = 5 * 60_000;
/** Enough for every agent a deployment has; the oldest entry goes first beyond it. */
const MAX_ENTRIES = 1_000;

/** A resolved agent: its card and an SDK client bound to its transport, protocol and headers. */
export interface ResolvedAgent {
  card: AgentCard;
  client: Client;
  /** `'1.0'` or `'0.3'`: picked by the SDK from the card's interfaces. */
  protocolVersion: string;
  streaming: boolean;
}

interface Entry extends ResolvedAgent {
  etag?: string;
  expiresAt: number;
}

/**
 * Agent cards per agent (URL, headers and name), kept for a TTL and revalidated with
 * `If-None-Match` when the agent sent an ETag, so a busy step does not fetch the card on
 * every call. Cards in the v0.3 shape are translated by the SDK's compat layer; the SDK then
 * picks the v0.3 or v1.0 transport from the card's interface `protocolVersion`.
 */
export class AgentCardCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** The guarded outbound fetch every request of every agent goes through. */
    private readonly outbound: typeof fetch,
    private readonly ttlMs = AGENT_CARD_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(agent: Agent, signal: AbortSignal): Promise<ResolvedAgent> {
    const key = cacheKey(agent);
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > this.now()) return cached;
    const fetchImpl = agentFetch(agent, this.outbound);
    const response = await fetchImpl(cardUrl(agent.url!), {
      headers: { accept: 'application/json', ...(cached?.etag ? { 'if-none-match': cached.etag } : {}) },
      signal,
    });
    if (response.status === 304 && cached) {
      cached.expiresAt = this.now() + this.ttlMs;
      return cached;
    }
    const entry = await this.build(agent, response, fetchImpl);
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  /** Forgets an agent's card, e.g. after its endpoint stopped answering as the card said. */
  forget(agent: Agent): void {
    this.entries.delete(cacheKey(agent));
  }

  private async build(agent: Agent, response: Response, fetchImpl: typeof fetch): Promise<Entry> {
    const text = await response.text();
    if (!response.ok) {
      throw new AgentCallError(`agent ${agent.name} has no agent card (HTTP ${response.status}): ${snippet(text)}`, false, 'invalid_agent_card', response.status);
    }
    let card: AgentCard;
    let client: Client;
    try {
      const legacyCompat = { enabled: true };
      card = new DefaultAgentCardResolver({ legacyCompat, fetchImpl }).normalizeAgentCard(JSON.parse(text));
      const factory = new ClientFactory(
        ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
          transports: [new JsonRpcTransportFactory({ legacyCompat, fetchImpl }), new RestTransportFactory({ legacyCompat, fetchImpl })],
          // Send returns at once with the task; this client follows it by polling or streaming.
          clientConfig: { polling: true },
        }),
      );
      client = await factory.createFromAgentCard(card);
    } catch (error) {
      throw new AgentCallError(`agent ${agent.name} has an unusable agent card: ${(error as Error).message}`, false, 'invalid_agent_card');
    }
    return {
      card,
      client,
      protocolVersion: client.protocolVersion,
      streaming: card.capabilities?.streaming === true,
      etag: response.headers.get('etag') ?? undefined,
      expiresAt: this.now() + this.ttlMs,
    };
  }
}

/** `agent.url` is the agent's base URL; a URL ending in `.json` is taken as the card itself. */
export function cardUrl(url: string): string {
  if (/\.json($|\?)/.test(url)) return url;
  return `${url.replace(/\/+$/, '')}/${AGENT_CARD_PATH.replace(/^\/+/, '')}`;
}

function cacheKey(agent: Agent): string {
  const headers = Object.entries(agent.headers).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([agent.name, agent.url, headers, agent.trustedOrigins ?? []]);
}
