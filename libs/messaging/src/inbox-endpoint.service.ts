import { Inject, Injectable } from '@nestjs/common';
import { BatonError, EgressPolicy, urlDeniedMessage } from '@baton/common';
import { AgentRegistryService } from '@baton/agents';
import type { Principal } from '@baton/identity';
import { generateWebhookSecret } from '@baton/webhooks';
import { InboxEndpointRepository, type InboxEndpoint } from './inbox-endpoint.repository.js';
import { InboxSignals } from './inbox-signals.js';
import { agentOf } from './messaging.service.js';

/**
 * An agent's push endpoint: set by the agent itself (the caller's token is the inbox), with a
 * fresh signing secret each time it is set, shown only in that answer. Setting it wakes the
 * push worker, so mail that waited in the inbox is pushed at once.
 */
@Injectable()
export class InboxEndpointService {
  constructor(
    @Inject(InboxEndpointRepository) private readonly endpoints: InboxEndpointRepository,
    @Inject(EgressPolicy) private readonly egress: EgressPolicy,
    @Inject(InboxSignals) private readonly signals: InboxSignals,
    @Inject(AgentRegistryService) private readonly registry: AgentRegistryService,
  ) {}

  /** `{ url }` for signed JSON pushes, or `{ a2aAgent }`: a registered A2A agent gets A2A messages. */
  async set(caller: Principal, target: { url?: string; a2aAgent?: string }): Promise<InboxEndpoint> {
    const agent = agentOf(caller).name;
    if ((target.url === undefined) === (target.a2aAgent === undefined)) {
      throw BatonError.validation([{ path: 'url', message: 'give exactly one of url and a2a_agent' }]);
    }
    if (target.url !== undefined) {
      checkUrl(target.url);
      const verdict = this.egress.checkUrl(target.url);
      if (!verdict.allowed) throw BatonError.validation([{ path: 'url', message: urlDeniedMessage(target.url, verdict.reason) }]);
    } else {
      const registered = await this.registry.find(target.a2aAgent!);
      if (registered?.kind !== 'a2a') throw BatonError.validation([{ path: 'a2a_agent', message: `no registered A2A agent ${target.a2aAgent}` }]);
    }
    const endpoint = await this.endpoints.upsert(agent, { url: target.url ?? null, a2aAgent: target.a2aAgent ?? null }, generateWebhookSecret());
    this.signals.poke('*'); // the push worker learns the new endpoint and pushes what waited
    return endpoint;
  }

  async get(caller: Principal): Promise<InboxEndpoint> {
    const agent = agentOf(caller).name;
    const endpoint = await this.endpoints.find(agent);
    if (!endpoint) throw BatonError.notFound('inbox endpoint of', agent);
    return endpoint;
  }

  /** Back to pulling: entries already leased by a push keep their lease, then become pullable. */
  async remove(caller: Principal): Promise<void> {
    const agent = agentOf(caller).name;
    if (!(await this.endpoints.remove(agent))) throw BatonError.notFound('inbox endpoint of', agent);
  }
}

function checkUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username || parsed.password) {
    throw BatonError.validation([{ path: 'url', message: 'must be an http(s) URL without credentials' }]);
  }
}
