import { Inject, Injectable, Optional } from '@nestjs/common';
import { egressDenialOf, OutboundHttp } from '@baton/common';
import { TelemetryService } from '@baton/telemetry';
import { AgentCallError, type Agent, type AgentClient, type InvocationContext } from '../agent.types.js';
import { CALL_TOKEN_HEADER, CallTokenService } from '../call-tokens/call-token.service.js';
import { abortedCallError } from './abort.js';

/** How much of an error body goes into the message: enough to diagnose, not a whole page. */
const BODY_SNIPPET_CHARS = 300;

/** Statuses that may well succeed if tried again later. */
const RETRYABLE_STATUSES = new Set([408, 429]);

/**
 * Calls an `http` agent: POST the step's input as JSON to `agent.url`, read JSON back.
 * Failures are classified for the retry policy: 5xx, 408, 429, timeouts and connection errors
 * are retryable; other 4xx and unusable output are not, since repeating the same request
 * will get the same answer. The call goes through the guarded outbound fetch: an address the
 * egress policy denies is an `egress_denied` failure, not retryable.
 */
@Injectable()
export class HttpAgentClient implements AgentClient {
  readonly kind = 'http' as const;

  constructor(
    @Inject(OutboundHttp) private readonly outbound: OutboundHttp,
    @Optional() @Inject(TelemetryService) private readonly telemetry?: TelemetryService,
    /** Absent (a bare client in tests), calls carry no call token. */
    @Optional() @Inject(CallTokenService) private readonly callTokens?: CallTokenService,
  ) {}

  async invoke(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    if (!agent.url) throw new AgentCallError(`agent ${agent.name} has no url`, false, 'invalid_agent');
    const callToken = await this.callTokens?.issue(agent, context);
    let response: Response;
    let text: string;
    try {
      response = await this.outbound.fetch(agent.url, {
        method: 'POST',
        headers: { ...requestHeaders(agent, context, callToken), ...this.telemetry?.headers() },
        body: JSON.stringify(input ?? null),
        signal,
        // Following a 301/302 would turn the POST into a GET and drop the input.
        redirect: 'manual',
      });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw abortedCallError(signal, `call to agent ${agent.name}`);
      throw connectionError(agent, error);
    }
    this.telemetry?.activeSpan().setAttribute('http.response.status_code', response.status);
    return readResponse(agent, response.status, text);
  }
}

function requestHeaders(agent: Agent, context: InvocationContext, callToken: string | undefined): Record<string, string> {
  return {
    accept: 'application/json',
    ...agent.headers,
    // Ours go last so an agent's configured headers cannot spoof them.
    'content-type': 'application/json',
    'x-baton-run-id': context.runId,
    'x-baton-step-id': context.stepId,
    'x-baton-step-key': context.stepKey,
    'x-baton-attempt': String(context.attempt),
    // Same step and attempt => same key, so an agent can drop a duplicate delivery.
    'idempotency-key': `${context.stepId}:${context.attempt}`,
    ...(callToken ? { [CALL_TOKEN_HEADER]: callToken } : {}),
  };
}

function readResponse(agent: Agent, status: number, text: string): unknown {
  if (status >= 200 && status < 300) {
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new AgentCallError(
        `agent ${agent.name} answered ${status} with a body that is not JSON: ${snippet(text)}`,
        false,
        'invalid_output',
        status,
      );
    }
  }
  const retryable = status >= 500 || RETRYABLE_STATUSES.has(status);
  const message = `agent ${agent.name} answered HTTP ${status}: ${snippet(text)}`;
  throw new AgentCallError(message, retryable, retryable ? 'agent_unavailable' : 'agent_rejected', status);
}

function connectionError(agent: Agent, error: unknown): AgentCallError {
  const denied = egressDenialOf(error);
  if (denied) return new AgentCallError(`agent ${agent.name}: ${denied.message}`, false, 'egress_denied');
  // undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new AgentCallError(`could not reach agent ${agent.name} at ${agent.url}: ${detail}`, true, 'connection_error');
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > BODY_SNIPPET_CHARS ? `${flat.slice(0, BODY_SNIPPET_CHARS)}…` : flat;
}
