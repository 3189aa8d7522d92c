import { A2AError, A2A_ERROR_CODE } from '@a2a-js/sdk/errors';
import { AgentCallError, type Agent } from '../../agent.types.js';
import { abortedCallError } from '../abort.js';

/** Statuses that may well succeed if tried again later, besides 5xx. */
const RETRYABLE_STATUSES = new Set([408, 429]);

/**
 * A `fetch` for the SDK's transports and the card fetch: adds the agent's headers and turns
 * what the retry policy must see — an unreachable agent, a 5xx/408/429 — into an
 * `AgentCallError` before the SDK reduces it to a bare `Error` message. Other statuses
 * (2xx, and 4xx with a JSON-RPC error body) go back to the SDK, which parses them.
 */
export function agentFetch(agent: Agent): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(agent.headers)) if (!headers.has(name)) headers.set(name, value);
    let response: Response;
    try {
      response = await fetch(input, { ...init, headers });
    } catch (error) {
      if (init?.signal?.aborted) throw error;
      throw connectionError(agent, error);
    }
    if (response.status >= 500 || RETRYABLE_STATUSES.has(response.status)) {
      const body = await response.text().catch(() => '');
      throw new AgentCallError(
        `agent ${agent.name} answered HTTP ${response.status}: ${snippet(body)}`,
        true,
        'agent_unavailable',
        response.status,
      );
    }
    return response;
  };
}

/**
 * Classifies whatever an SDK call threw. Our own errors pass through; an aborted signal is
 * a timeout (retryable) or a cancellation (not); a protocol error from the agent (task not
 * found, invalid params, unsupported) or an HTTP 4xx will not change on retry; anything
 * else (a malformed stream, a dropped connection mid-stream) is worth another attempt.
 */
export function toAgentCallError(agent: Agent, error: unknown, signal: AbortSignal): AgentCallError {
  if (error instanceof AgentCallError) return error;
  if (signal.aborted) return abortedCallError(signal, `call to agent ${agent.name}`);
  const message = (error as Error)?.message ?? String(error);
  const status = /Status: (\d{3})/.exec(message)?.[1];
  if (status) return new AgentCallError(`agent ${agent.name} answered HTTP ${status}: ${snippet(message)}`, false, 'agent_rejected', Number(status));
  if (error instanceof A2AError) {
    // An internal error on the agent's side may pass; a refusal of this request will not.
    const internal = (error as { code?: unknown }).code === A2A_ERROR_CODE.INTERNAL_ERROR;
    return new AgentCallError(`agent ${agent.name} answered with an error: ${snippet(message)}`, internal, internal ? 'agent_error' : 'agent_rejected');
  }
  return new AgentCallError(`agent ${agent.name} call failed: ${snippet(message)}`, true);
}

export function connectionError(agent: Agent, error: unknown): AgentCallError {
  // undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new AgentCallError(`could not reach agent ${agent.name} at ${agent.url}: ${detail}`, true, 'connection_error');
}

export function snippet(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
