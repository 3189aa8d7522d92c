import { Inject, Injectable } from '@nestjs/common';
import { BatonError, EgressPolicy, urlDeniedMessage } from '@baton/common';
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
  ) {}

  async set(caller: Principal, url: string): Promise<InboxEndpoint> {
    const agent = agentOf(caller).name;
    checkUrl(url);
    const verdict = this.egress.checkUrl(url);
    if (!verdict.allowed) throw BatonError.validation([{ path: 'url', message: urlDeniedMessage(url, verdict.reason) }]);
    const endpoint = await this.endpoints.upsert(agent, url, generateWebhookSecret());
    this.signals.poke(agent);
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
