import { AgentCallError, type Agent } from '../../agent.types.js';
import { CALL_TOKEN_HEADER, currentCallToken } from '../../call-tokens/call-token.service.js';
import { connectionError, snippet } from './a2a-errors.js';

/** Statuses that may well succeed if tried again later, besides 5xx. */
const RETRYABLE_STATUSES = new Set([408, 429]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * A `fetch` for the agent card and the SDK's transports, over `outbound` (the guarded fetch).
 *
 * - The agent's headers (its credentials) and the call's `x-baton-call-token` go only to the
 *   origin of its registered `url` and to the origins its registration trusts: a card may name an endpoint anywhere, and must
 *   not be able to collect the credentials by doing so.
 * - Redirects are followed only within one origin (at most 5); one to another origin is a
 *   non-retryable `cross_origin_redirect`, so neither the card fetch nor a call is steered
 *   elsewhere by the agent's server.
 * - What the retry policy must see (an unreachable agent, a 5xx/408/429) becomes an
 *   `AgentCallError` before the SDK reduces it to a bare `Error` message. Other statuses go
 *   back to the SDK, which parses them.
 */
export function agentFetch(agent: Agent, outbound: typeof fetch): typeof fetch {
  const trusted = credentialOrigins(agent);
  return async (input, init) => {
    const request = typeof input === 'string' || input instanceof URL ? undefined : input;
    let url = new URL(request ? request.url : input.toString());
    let method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    let body = init?.body;
    for (let hops = 0; ; hops++) {
      const headers = new Headers(init?.headers ?? request?.headers);
      if (trusted.has(url.origin)) {
        for (const [name, value] of Object.entries(agent.headers)) if (!headers.has(name)) headers.set(name, value);
        // The call token, like the credentials, only where the registration says the agent is.
        const callToken = currentCallToken();
        if (callToken) headers.set(CALL_TOKEN_HEADER, callToken);
      }
      const response = await send(agent, outbound, url, { ...init, method, body, headers, redirect: 'manual' });
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
      if (!location) return checkStatus(agent, response);
      await response.body?.cancel().catch(() => undefined);
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        throw new AgentCallError(
          `agent ${agent.name}: ${url.href} redirects to another origin (${next.origin}); Baton follows redirects only within one origin`,
          false,
          'cross_origin_redirect',
          response.status,
        );
      }
      if (hops >= MAX_REDIRECTS) throw new AgentCallError(`agent ${agent.name}: more than ${MAX_REDIRECTS} redirects from ${url.href}`, false, 'too_many_redirects');
      // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
      if (response.status === 303 || (method === 'POST' && response.status <= 302)) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  };
}

/** The origin of the registered URL plus the registration's trusted origins. */
export function credentialOrigins(agent: Agent): Set<string> {
  const origins = new Set(agent.trustedOrigins ?? []);
  try {
    if (agent.url) origins.add(new URL(agent.url).origin);
  } catch {
    // a registered URL is always valid; an invalid one trusts nothing
  }
  return origins;
}

async function send(agent: Agent, outbound: typeof fetch, url: URL, init: RequestInit): Promise<Response> {
  try {
    return await outbound(url.href, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw connectionError(agent, error);
  }
}

async function checkStatus(agent: Agent, response: Response): Promise<Response> {
  if (response.status >= 500 || RETRYABLE_STATUSES.has(response.status)) {
    const body = await response.text().catch(() => '');
    throw new AgentCallError(`agent ${agent.name} answered HTTP ${response.status}: ${snippet(body)}`, true, 'agent_unavailable', response.status);
  }
  return response;
}
