import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BatonError, contentHash } from '@baton/common';
import { ExternalEventsService } from '@baton/messaging';
import { OrchestrationRunFactoryService, RunControlService, RunQueryService, type RunActor, type RunWithSteps } from '@baton/runs';
import { SessionRepository } from './session.repository.js';
import { SessionErrorCode, sessionIdTaken, sessionOwnerAmbiguous, type Session } from './session.types.js';

/** What starts a session; `owner` and `submittedBy` are set by the server, never from the body. */
export interface StartSessionRequest {
  id?: string;
  definition?: { name: string; version?: string };
  plan?: Record<string, unknown>;
  input?: unknown;
  metadata?: Record<string, unknown>;
  budget?: Record<string, unknown>;
  timeoutSeconds?: number;
  owner: string;
  submittedBy: string | null;
}

/** A session and its run (with steps); `run` is null only while the run is being created. */
export interface SessionState {
  session: Session;
  run: RunWithSteps | null;
}

/**
 * Sessions over the run service: a session is a run with an id the caller may choose and
 * metadata of its own. Ids are unique per owner (tenancy: another owner's ids neither clash
 * nor show). Starting one is idempotent by owner and id (same request → the same session;
 * another request → 409); the run's idempotency key is `session:<id>` (unique per owner on
 * runs too), so a retry after a crash between claiming the id and creating the run finds or
 * makes the one run.
 *
 * Reads and actions take `owner`: a bound caller's owner or an all-owner caller's `?owner=`,
 * undefined when an all-owner caller gave none; the id then must name one owner's session.
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(SessionRepository) private readonly sessions: SessionRepository,
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(RunQueryService) private readonly query: RunQueryService,
    @Inject(RunControlService) private readonly control: RunControlService,
    @Inject(ExternalEventsService) private readonly events: ExternalEventsService,
  ) {}

  async start(request: StartSessionRequest): Promise<{ state: SessionState; created: boolean }> {
    const id = request.id ?? randomUUID();
    const metadata = request.metadata ?? {};
    const { owner, submittedBy, ...body } = request;
    const requestHash = contentHash({ ...body, id, owner });
    const claimed = await this.sessions.claim({ id, owner, metadata, requestHash, submittedBy });
    const session = claimed ?? (await this.sessions.find(owner, id));
    // Claimed by a request whose run was just refused, which gave the id back: try again.
    if (!session) throw new BatonError('conflict', `session ${id} was being started by another request; try again`);
    if (session.requestHash !== requestHash) throw sessionIdTaken(id);
    if (session.runId === null) await this.createRun(session, request, claimed !== undefined);
    return { state: await this.stateOf(id, owner), created: claimed !== undefined };
  }

  /** The session and its run; 404 when `owner` has none of this id, 409 when `owner` is undefined and several do. */
  async stateOf(id: string, owner: string | undefined): Promise<SessionState> {
    const session = await this.locate(id, owner);
    return { session, run: session.runId === null ? null : await this.query.get(session.runId) };
  }

  async pause(id: string, owner: string | undefined, actor: RunActor): Promise<SessionState> {
    const session = await this.startedSession(id, owner);
    await this.control.pause(session.runId, actor);
    return this.stateOf(id, session.owner);
  }

  async resume(id: string, owner: string | undefined, actor: RunActor): Promise<SessionState> {
    const session = await this.startedSession(id, owner);
    await this.control.resume(session.runId, actor);
    return this.stateOf(id, session.owner);
  }

  async cancel(id: string, owner: string | undefined, actor: RunActor): Promise<SessionState> {
    const session = await this.startedSession(id, owner);
    await this.control.cancel(session.runId, actor, `session ${id} cancelled`);
    return this.stateOf(id, session.owner);
  }

  /** Delivers `data` to the session's waiting `type: wait` step (`step` when several wait). */
  async signal(id: string, owner: string | undefined, input: { step?: string; data?: unknown }): Promise<{ state: SessionState; step: string; eventId: string }> {
    const session = await this.startedSession(id, owner);
    try {
      const delivered = await this.events.signal(session.runId, input.step, input.data ?? null, `session:${id}`);
      return { state: await this.stateOf(id, session.owner), step: delivered.stepKey, eventId: delivered.event.id };
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'conflict') {
        throw new BatonError('conflict', `session ${id}: ${error.message}`, { code: SessionErrorCode.NotWaiting });
      }
      throw error;
    }
  }

  /**
   * The one session `id` names for this caller. With no owner (an all-owner caller that gave
   * no `?owner=`) the id is looked up in every owner: one match is it, several are a 409
   * asking for `?owner=` (such a caller may see every owner, so naming them leaks nothing).
   */
  private async locate(id: string, owner: string | undefined): Promise<Session> {
    if (owner !== undefined) {
      const session = await this.sessions.find(owner, id);
      if (!session) throw BatonError.notFound('session', id);
      return session;
    }
    const matches = await this.sessions.findInEveryOwner(id);
    if (matches.length === 0) throw BatonError.notFound('session', id);
    if (matches.length > 1) throw sessionOwnerAmbiguous(id, matches.map((match) => match.owner));
    return matches[0]!;
  }

  private async startedSession(id: string, owner: string | undefined): Promise<Session & { runId: string }> {
    const session = await this.locate(id, owner);
    if (session.runId === null) throw new BatonError('invalid_state', `session ${id} is still starting; try again`);
    return session as Session & { runId: string };
  }

  private async createRun(session: Session, request: StartSessionRequest, claimedNow: boolean): Promise<void> {
    try {
      const { run } = await this.factory.create({
        definition: request.definition ? { ...request.definition, owner: session.owner } : undefined,
        plan: request.plan,
        planOwner: session.owner,
        input: request.input,
        metadata: { session: session.id },
        idempotencyKey: `session:${session.id}`,
        submittedBy: session.submittedBy,
        budget: request.budget,
        timeoutSeconds: request.timeoutSeconds,
      });
      await this.sessions.attachRun(session.owner, session.id, run.id);
    } catch (error) {
      // A refused run (bad definition, input, budget) leaves the id free for a corrected request.
      if (claimedNow) await this.sessions.release(session.owner, session.id, session.requestHash);
      throw error;
    }
  }
}
