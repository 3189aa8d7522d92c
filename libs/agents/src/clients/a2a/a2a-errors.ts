import { A2AError, A2A_ERROR_CODE } from '@a2a-js/sdk/errors';
import { egressDenialOf } from '@baton/common';
import { AgentCallError, type Agent } from '../../agent.types.js';
import { abortedCallError } from '../abort.js';

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
  const denied = egressDenialOf(error);
  if (denied) return new AgentCallError(`agent ${agent.name}: ${denied.message}`, false, 'egress_denied');
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
