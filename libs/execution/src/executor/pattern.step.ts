import { Inject, Injectable } from '@nestjs/common';
import { AgentModeRouterService } from '@baton/agents';
import { isDatabaseUnavailable } from '@baton/db';
import type { Definition, PatternParticipant, StepSpec, TemplateContext } from '@baton/definitions';
import { PatternTurnsService, RunBudgetService, StepTransitionsService, readUsage, type ClaimedStep, type PatternTurn, type Usage } from '@baton/runs';
import { stepCacheKey } from '../cache/cache-key.js';
import { StepCacheService } from '../cache/step-cache.service.js';
import { TelemetryService, type Span } from '@baton/telemetry';
import type { PatternRun, PatternSeed, TurnCall } from '../patterns/pattern-logic.js';
import { PatternThreadRepository, type ThreadKey } from '../patterns/pattern-thread.repository.js';
import { startPattern } from '../patterns/patterns.js';
import { compileUntil } from '../patterns/until.js';
import { renderInput } from './agent.step.js';
import { PatternParkedTurns, isParkedMember } from './pattern-parked-turns.js';
import { StepFailure, toStepError } from './step-failure.js';
import { REPORTED, type StepKind, type StepOutcome, type StepRun } from './step-kind.js';
import { TurnRouting, routeCall, type TurnRoute } from './turn-routing.js';

/** The step's lease was lost while it ran a turn: whoever holds it now carries on. */
class TurnRefused extends Error {}

/** A turn waits for a child run or a person: the step is parked until that wakes it. */
class TurnParked extends Error {}

/** A participant with where this turn's call goes (circuit breakers), when it calls an agent. */
type RoutedParticipant = PatternParticipant & { routed?: ReturnType<typeof routeCall> };

/** A turn about to be taken: its number, and how often its participant spoke before. */
interface NumberedCall extends TurnCall {
  turn: number;
  spoken: number;
}

/**
 * A step of `type: pattern`: a durable coordinator. When claimed it reads the turns done so
 * far, replays them through the pattern's logic (no agent is called for a completed turn),
 * then asks the logic for the next move and takes each turn as a row of its own: started,
 * called (through the step cache, with the step's timeout), completed, each write one
 * transaction with its event and fenced by the step's lease. A failed turn fails this
 * attempt; the step's retry policy runs it again from that turn.
 */
@Injectable()
export class PatternStep implements StepKind {
  readonly types = ['pattern'] as const;

  constructor(
    @Inject(PatternTurnsService) private readonly turns: PatternTurnsService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(AgentModeRouterService) private readonly router: AgentModeRouterService,
    @Inject(StepCacheService) private readonly cache: StepCacheService,
    @Inject(PatternThreadRepository) private readonly threads: PatternThreadRepository,
    @Inject(PatternParkedTurns) private readonly parked: PatternParkedTurns,
    // Circuit breakers (issue 12): a turn's agent is routed around open breakers, or the step parks.
    @Inject(TurnRouting) private readonly routing: TurnRouting,
    // Budgets (issue 9): every new turn counts against max_turns, every call reserves and settles.
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    // Traces (issue 13): each turn taken is a span under the step's, its agent call under it.
    @Inject(TelemetryService) private readonly telemetry: TelemetryService,
  ) {}

  async run({ step, spec, definition, context, signal }: StepRun): Promise<StepOutcome> {
    try {
      await this.coordinate(step, spec, definition, context, signal);
    } catch (error) {
      if (!(error instanceof TurnRefused || error instanceof TurnParked)) throw error;
    }
    return REPORTED;
  }

  private async coordinate(step: ClaimedStep, spec: StepSpec, definition: Definition, context: TemplateContext, signal: AbortSignal): Promise<void> {
    const pattern = spec.pattern;
    if (!pattern) throw new StepFailure(`step ${spec.id} has no pattern`, false, 'definition_mismatch');
    const task = renderInput(spec, context);
    const threadKey = pattern.name === 'swarm' ? threadKeyOf(step, spec, definition, task) : null;
    const seed: PatternSeed = {};
    if (threadKey) seed.thread = (await this.threads.load(threadKey, step.id)) ?? undefined;
    if (pattern.until) seed.until = compileUntil(pattern.until, `${spec.id}.until`);
    const logic = startPattern(pattern, task, seed);
    const recorded = new Map<number, PatternTurn>();
    for (const turn of await this.turns.list(step.id)) recorded.set(turn.turn, turn);
    const spoken = new Map<string, number>();
    let taken = 0;
    for (;;) {
      if (signal.aborted) throw new TurnRefused();
      const move = logic.next();
      if ('finish' in move) return this.finish(step, move.finish, task, threadKey, logic);
      if (taken + move.calls.length > pattern.maxTurns) {
        if (pattern.onMaxTurns === 'complete') return this.finish(step, logic.partial(), task, threadKey, logic);
        throw new StepFailure(`pattern ${pattern.name} reached max_turns (${pattern.maxTurns}) without finishing`, false, 'max_turns');
      }
      const calls: NumberedCall[] = move.calls.map((call, i) => {
        const before = spoken.get(call.agent) ?? 0;
        spoken.set(call.agent, before + 1);
        return { ...call, turn: taken + i + 1, spoken: before };
      });
      taken += calls.length;
      const routes = await this.routeMove(step, pattern.agents, calls, recorded);
      const outputs = await settleAll(calls.map((call) => this.takeTurn(step, spec, definition, call, recorded.get(call.turn), signal, routes.get(call.agent))));
      logic.record(calls.map((call, i) => ({ agent: call.agent, output: outputs[i] })));
    }
  }

  private async finish(step: ClaimedStep, output: unknown, task: unknown, threadKey: ThreadKey | null, logic: PatternRun): Promise<void> {
    if (threadKey && logic.thread) await this.threads.save(threadKey, step.id, logic.thread());
    await this.transitions.complete(step, output, { input: task });
  }

  /**
   * Routes the participants this move calls (turns not yet completed) before any turn
   * starts: when one of them cannot be served now (open breakers) the step parks, and the
   * move is taken again from the start when it is woken.
   */
  private async routeMove(step: ClaimedStep, agents: PatternParticipant[], calls: NumberedCall[], recorded: Map<number, PatternTurn>): Promise<Map<string, TurnRoute>> {
    const names = new Set(calls.filter((c) => recorded.get(c.turn)?.status !== 'completed').map((c) => c.agent));
    if (names.size === 0) return new Map();
    const routes = await this.routing.route(agents.filter((a) => names.has(a.name)));
    if (routes instanceof Map) return routes;
    if (await this.routing.park(step, routes.blocked)) throw new TurnParked();
    throw new TurnRefused();
  }

  /** A completed turn's recorded output, or a new call of its agent. */
  private async takeTurn(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    call: NumberedCall,
    previous: PatternTurn | undefined,
    signal: AbortSignal,
    route: TurnRoute | undefined,
  ): Promise<unknown> {
    if (previous?.status === 'completed') {
      if (previous.agent !== call.agent) {
        throw new StepFailure(`turn ${call.turn} was taken by "${previous.agent}" but the replay asks "${call.agent}"`, false, 'turn_mismatch');
      }
      return previous.output;
    }
    const participant: RoutedParticipant = { ...spec.pattern!.agents.find((a) => a.name === call.agent)!, routed: route && routeCall(route, call.turn) };
    const input = participant.agent === 'builtin:script' ? { items: participant.settings?.items ?? [], index: call.spoken, input: call.input } : call.input;
    const parked = isParkedMember(participant);
    // A parked turn woken (or re-claimed) continues its row; any other unfinished turn starts again.
    const resumed = parked && previous?.status === 'running';
    // A turn restarted after a crash or failure was admitted when it first started.
    if (!previous) await this.budgets.admitTurn(step);
    const attempt = resumed ? previous.attempt : await this.turns.start(step, { turn: call.turn, agent: call.agent, input });
    if (attempt === null) throw new TurnRefused();
    const ref = { turn: call.turn, agent: call.agent };
    const span = this.turnSpan(step, call, attempt);
    try {
      const { output, cacheHit } = await this.telemetry.inSpan(span, () =>
        parked ? this.waitFor(step, participant, call.turn, input) : this.call(step, spec, definition, participant, input, attempt, signal),
      );
      if (!(await this.turns.finish(step, ref, { status: 'completed', output, cacheHit }))) throw new TurnRefused();
      return output;
    } catch (error) {
      if (error instanceof TurnRefused || error instanceof TurnParked || signal.aborted || isDatabaseUnavailable(error)) throw error;
      this.telemetry.fail(span, error);
      const failure = toStepError(error, attempt);
      await this.turns.finish(step, ref, { status: 'failed', error: { ...failure, message: failure.message } });
      throw error;
    } finally {
      span.end();
    }
  }

  private turnSpan(step: ClaimedStep, call: NumberedCall, attempt: number): Span {
    return this.telemetry.startSpan(`turn ${call.turn} ${call.agent}`, {
      attributes: {
        'baton.run_id': step.runId,
        'baton.step_id': step.id,
        'baton.turn': call.turn,
        'baton.turn_attempt': attempt,
        'baton.agent': call.agent,
      },
    });
  }

  private async waitFor(step: ClaimedStep, participant: PatternParticipant, turn: number, input: unknown): Promise<{ output: unknown; cacheHit: boolean }> {
    const outcome = await this.parked.take(step, participant, turn, input);
    if (outcome === null) throw new TurnRefused();
    if (!outcome.done) throw new TurnParked();
    return { output: outcome.output, cacheHit: false };
  }

  private async call(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    participant: RoutedParticipant,
    input: unknown,
    attempt: number,
    signal: AbortSignal,
  ): Promise<{ output: unknown; cacheHit: boolean }> {
    const routed = participant.routed;
    const key = spec.cache.enabled
      ? stepCacheKey({
          definitionId: definition.id,
          definitionVersion: definition.version,
          owner: step.owner,
          stepId: `${spec.id}/${participant.name}`,
          agent: participant.agent ?? `capability:${participant.capability}`,
          input,
        })
      : null;
    if (key) {
      const cached = await this.cache.get(key);
      if (cached) return { output: cached.output, cacheHit: true };
    }
    const reservation = await this.budgets.reserveCall(step, signal);
    let usage: Usage | null = null;
    let completed = false;
    let output: unknown;
    try {
      output = await this.router.invoke(
        routed?.ref ?? { agent: participant.agent, capability: participant.capability },
        input,
        { runId: step.runId, stepId: step.id, stepKey: step.key, attempt, onUsage: (reported) => (usage = readUsage(reported) ?? usage) },
        { signal, timeoutMs: spec.timeoutSeconds ? spec.timeoutSeconds * 1000 : undefined },
      );
      const reported = output !== null && typeof output === 'object' ? (output as { usage?: unknown }).usage : undefined;
      usage = readUsage(reported) ?? usage;
      completed = true;
      await this.routing.recordSuccess(routed?.guarded ?? null);
    } catch (error) {
      if (!signal.aborted) await this.routing.recordFailure(routed?.guarded ?? null, error);
      throw error;
    } finally {
      await this.budgets.settleCall(reservation, usage, completed);
    }
    if (key) await this.cache.put(key, output, definition.id, spec.id, spec.cache.ttlSeconds);
    return { output, cacheHit: false };
  }
}

/** Waits for every turn of a parallel move (none is left running unrecorded), then throws the first failure. */
async function settleAll(turns: Promise<unknown>[]): Promise<unknown[]> {
  const settled = await Promise.allSettled(turns);
  const refused = settled.find((s) => s.status === 'rejected' && (s.reason instanceof TurnRefused || s.reason instanceof TurnParked));
  const failed = refused ?? settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
}

function threadKeyOf(step: ClaimedStep, spec: StepSpec, definition: Definition, task: unknown): ThreadKey {
  const field = spec.pattern!.thread!;
  const value = task !== null && typeof task === 'object' ? (task as Record<string, unknown>)[field] : undefined;
  if ((typeof value !== 'string' || value === '') && typeof value !== 'number') {
    throw new StepFailure(`swarm: the input has no thread in "${field}" (a string or number)`, false, 'invalid_input');
  }
  return { owner: step.owner, definitionName: definition.name, stepKey: spec.id, thread: String(value) };
}
