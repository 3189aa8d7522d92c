import { Inject, Injectable, Optional } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { SpanKind, TelemetryService, type Span } from '@baton/telemetry';
import { AgentCallError, type Agent, type AgentClient, type AgentKind, type AgentRef, type InvocationContext } from './agent.types.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { A2aAgentClient } from './clients/a2a-agent.client.js';
import { BuiltinAgentClient } from './clients/builtin-agent.client.js';
import { HttpAgentClient } from './clients/http-agent.client.js';
import { WorkerAgentClient } from './clients/worker-agent.client.js';
import { isTimeoutReason } from './clients/abort.js';

export interface InvokeOptions {
  /** The caller's signal: a cancelled run or a lost lease. Its abort is not retryable. */
  signal?: AbortSignal;
  /** Overrides the agent's own timeout (e.g. a step-level timeout). */
  timeoutMs?: number;
}

/**
 * Decides which agent does a step's work and calls it. A step names an agent or a
 * capability; this turns that into an agent, picks the client for its kind and enforces
 * the timeout, so the execution layer sees one call that either returns output or throws an
 * `AgentCallError` saying whether a retry may help.
 */
@Injectable()
export class AgentModeRouterService {
  private readonly clients: ReadonlyMap<AgentKind, AgentClient>;

  constructor(
    @Inject(AgentRegistryService) private readonly registry: AgentRegistryService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(HttpAgentClient) http: HttpAgentClient,
    @Inject(BuiltinAgentClient) builtin: BuiltinAgentClient,
    @Inject(A2aAgentClient) a2a: A2aAgentClient,
    @Inject(WorkerAgentClient) worker: WorkerAgentClient,
    // Issue 13: each call is a client span; absent (library tests), calls are not traced.
    @Optional() @Inject(TelemetryService) private readonly telemetry?: TelemetryService,
  ) {
    this.clients = new Map<AgentKind, AgentClient>([http, builtin, a2a, worker].map((client) => [client.kind, client]));
  }

  /**
   * The agent for `ref`: by name (registered or built in), else the first registered agent
   * with the capability, by name, so every instance picks the same one. Nothing found is a
   * non-retryable error: a retry seconds later would almost surely find nothing either.
   */
  async resolve(ref: AgentRef): Promise<Agent> {
    if (ref.agent) {
      const agent = await this.registry.find(ref.agent);
      if (!agent) throw new AgentCallError(`agent ${ref.agent} is not registered`, false, 'unknown_agent');
      return agent;
    }
    if (ref.capability) {
      const [agent] = await this.registry.findByCapability(ref.capability);
      if (!agent) {
        throw new AgentCallError(`no registered agent has capability "${ref.capability}"`, false, 'no_agent_for_capability');
      }
      return agent;
    }
    throw new AgentCallError('a step must name an agent or a capability', false, 'invalid_ref');
  }

  /**
   * Resolves `ref` and calls the agent with `input`. The timeout is `options.timeoutMs`, else
   * the agent's `timeoutSeconds`, else `BATON_DEFAULT_STEP_TIMEOUT_SECONDS`. A timeout throws
   * a retryable `timeout`; the caller's abort throws a non-retryable `cancelled`.
   */
  async invoke(ref: AgentRef, input: unknown, context: InvocationContext, options: InvokeOptions = {}): Promise<unknown> {
    const agent = await this.resolve(ref);
    const client = this.clients.get(agent.kind);
    if (!client) throw new AgentCallError(`no client for agent kind ${agent.kind}`, false, 'unsupported');
    if (agent.unreadableHeaders?.length) {
      throw new AgentCallError(
        `agent ${agent.name}: the stored value of header(s) ${agent.unreadableHeaders.join(', ')} cannot be decrypted (BATON_SECRET_KEY unset or changed); register the agent again`,
        false,
        'secret_unavailable',
      );
    }
    const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? (agent.timeoutSeconds ?? this.config.defaultStepTimeoutSeconds) * 1000));
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const aborted = whenAborted(signal);
    const span = this.callSpan(agent, context);
    try {
      const call = () => client.invoke(agent, input, { ...context, timeoutMs }, signal);
      // Racing the abort means a client that ignores its signal still cannot hold the step.
      return await Promise.race([span ? this.telemetry!.inSpan(span, call) : call(), aborted.promise]);
    } catch (error) {
      if (span) this.telemetry!.fail(span, error);
      const status = (error as AgentCallError)?.status;
      if (span && status) span.setAttribute('http.response.status_code', status);
      // The caller's abort wins over the deadline: the run is gone, so do not retry it.
      if (options.signal?.aborted) throw new AgentCallError(`call to agent ${agent.name} was cancelled`, false, 'cancelled');
      if (deadline.aborted && isTimeoutReason(deadline.reason)) {
        throw new AgentCallError(`agent ${agent.name} did not answer within ${timeoutMs} ms`, true, 'timeout');
      }
      if (error instanceof AgentCallError) throw error;
      // A bug in a client rather than a verdict from the agent: worth another attempt.
      throw new AgentCallError(`agent ${agent.name} call failed: ${(error as Error)?.message ?? error}`, true);
    } finally {
      span?.end();
      aborted.dispose();
    }
  }

  /** The agent call's client span, under the active (step or turn) span. */
  private callSpan(agent: Agent, context: InvocationContext): Span | null {
    if (!this.telemetry?.enabled) return null;
    return this.telemetry.startSpan(`agent ${agent.name}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'baton.agent': agent.name,
        'baton.agent_kind': agent.kind,
        'baton.run_id': context.runId,
        'baton.step_id': context.stepId,
        ...(agent.url ? { 'url.full': agent.url, 'http.request.method': 'POST' } : {}),
      },
    });
  }

  /** `maxConcurrency` of each named agent that sets one: the execution layer's per-agent slots. */
  async concurrencyLimits(names: string[]): Promise<Map<string, number>> {
    const agents = await this.registry.findMany(names);
    const limits = new Map<string, number>();
    for (const agent of agents.values()) {
      if (agent.maxConcurrency !== undefined) limits.set(agent.name, agent.maxConcurrency);
    }
    return limits;
  }
}

/** A promise that rejects when `signal` aborts, and a way to stop listening once the call is over. */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // Rejections after the race is settled are expected and must not surface as unhandled.
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}
