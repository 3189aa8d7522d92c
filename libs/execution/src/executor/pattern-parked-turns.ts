import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService } from '@baton/approvals';
import { BatonError } from '@baton/common';
import { OrchestrationDefinitionService, type PatternParticipant } from '@baton/definitions';
import { OrchestrationRunFactoryService, RUN_DEPTH_EXCEEDED, type ClaimedStep, type Run } from '@baton/runs';
import { StepFailure } from './step-failure.js';

/** A parked turn's state: answered (its output), or still waiting (the step is parked). */
export type ParkedOutcome = { done: true; output: unknown } | { done: false };

/**
 * Child runs and approvals are keyed by (step, attempt): a pattern step can open several in
 * one attempt, one per turn, so each turn gets a key of its own that no real attempt reaches.
 */
const TURN_KEY_BASE = 100_000;

/** Whether this member's turns wait for something outside the step: a child run or a person. */
export function isParkedMember(participant: PatternParticipant): boolean {
  return participant.definition !== undefined || participant.team !== undefined || participant.human !== undefined;
}

/**
 * Turns that park the pattern step instead of calling an agent: a child definition or a
 * nested team (a child run), or a person (an approval whose answer is the turn's output). The
 * step waits, freeing its slot; the child's end or the decision wakes it, and the replay
 * lands here again for the same turn, which now finds its child or approval answered.
 */
@Injectable()
export class PatternParkedTurns {
  constructor(
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
  ) {}

  /** Null when the step's lease was lost meanwhile. */
  async take(step: ClaimedStep, participant: PatternParticipant, turn: number, input: unknown): Promise<ParkedOutcome | null> {
    if (participant.human) return this.askPerson(step, participant, turn, input);
    return this.runChild(step, participant, turn, input);
  }

  private async askPerson(step: ClaimedStep, participant: PatternParticipant, turn: number, input: unknown): Promise<ParkedOutcome | null> {
    const human = participant.human!;
    const approval = await this.checkpoints.ensure(step, {
      kind: 'checkpoint',
      round: turn,
      prompt: human.prompt ?? `Turn ${turn} of ${step.key} is yours (${participant.name}): approve with your answer as the payload`,
      payload: input,
      schema: null,
      allowEdit: true,
      onTimeout: 'fail',
      timeoutSeconds: human.timeoutSeconds ?? null,
    });
    if (approval.status === 'pending') return { done: false };
    if (approval.status === 'approved') return { done: true, output: approval.decidedPayload };
    const code = approval.status === 'expired' ? 'checkpoint_timeout' : 'checkpoint_rejected';
    throw new StepFailure(`${participant.name} ${approval.status === 'expired' ? 'did not answer before the deadline' : 'rejected'} turn ${turn}${approval.comment ? `: ${approval.comment}` : ''}`, false, code);
  }

  private async runChild(step: ClaimedStep, participant: PatternParticipant, turn: number, input: unknown): Promise<ParkedOutcome | null> {
    const ref = participant.definition ?? (await this.nestedTeam(participant, step.owner));
    const keyed = { ...step, attempt: step.attempt * TURN_KEY_BASE + turn };
    const child = await this.factory.startChild(keyed, ref, input).catch((error: unknown) => {
      if (error instanceof BatonError && (error.details as { code?: string } | undefined)?.code === RUN_DEPTH_EXCEEDED) {
        throw new StepFailure(error.message, false, RUN_DEPTH_EXCEEDED);
      }
      throw error;
    });
    if (!child) return null;
    if (!isFinished(child)) return { done: false };
    if (child.status === 'completed') return { done: true, output: participant.team ? child.output?.team ?? null : child.output };
    throw new StepFailure(`${participant.name}: child run ${child.id} ${child.status}: ${child.error?.message ?? child.status}`, child.status === 'failed', `child_${child.status}`, {
      childRunId: child.id,
    });
  }

  /** A nested team runs as an inline plan of one pattern step (content-addressed: one row per distinct team). */
  private async nestedTeam(participant: PatternParticipant, owner: string): Promise<{ name: string; version: string; owner: string }> {
    const plan = { steps: [{ id: 'team', type: 'pattern', ...participant.team }] };
    const definition = await this.definitions.registerInline(plan, owner);
    return { name: definition.name, version: definition.version, owner: definition.owner };
  }
}

function isFinished(run: Run): boolean {
  return run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';
}
