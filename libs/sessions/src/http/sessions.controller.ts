import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BatonError, boundOwnerOf } from '@baton/common';
import { actorOf } from '@baton/runs';
import { SessionsService } from '../sessions.service.js';
import { SESSION_ACTIONS, SESSION_ID, type SessionAction } from '../session.types.js';
import { presentSession } from './session.presenter.js';
import { StartSessionDto } from './start-session.dto.js';

/**
 * `/api/v1/sessions` (issue 13). Owner-scoped like runs, and ids are unique per owner: a token
 * bound to an owner starts sessions of that owner only and finds no other owner's (404, also
 * when it names one with `?owner=`). An all-owner token names the owner with `?owner=` when
 * several owners use an id. Each action is its own route in the access policy, so each is
 * checked by the Cedar policy on its own.
 */
// `/v1/sessions` is the orchestrator-service design's path for the same API (issue 13).
@Controller(['api/v1/sessions', 'v1/sessions'])
export class SessionsController {
  constructor(@Inject(SessionsService) private readonly sessions: SessionsService) {}

  /** 201 with the new session; 200 with the existing one for a repeated id and request; 409 for another request. */
  @Post()
  async start(
    @Body() body: StartSessionDto,
    @Query('owner') ownerQuery: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { timeout_seconds: timeoutSeconds, definition, ...rest } = body;
    if (!definition === !rest.plan) throw BatonError.validation([{ path: 'definition', message: 'give exactly one of definition or plan' }]);
    const named = checkOwner(ownerQuery);
    if (named !== undefined && definition?.owner !== undefined && definition.owner !== named) {
      throw BatonError.validation([{ path: 'owner', message: `must be definition.owner (${JSON.stringify(definition.owner)}) when both are given` }]);
    }
    const bound = boundOwnerOf(request);
    const owner = bound ?? named ?? definition?.owner ?? '';
    const asked = named ?? definition?.owner;
    if (asked !== undefined && asked !== owner) {
      throw new BatonError('forbidden', `this token is bound to owner ${bound}; it may not start sessions of owner ${asked}`);
    }
    const { state, created } = await this.sessions.start({
      ...rest,
      definition: definition && { name: definition.name, version: definition.version },
      timeoutSeconds,
      owner,
      submittedBy: tokenIdOf(request),
    });
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return presentSession(state);
  }

  @Get(':id')
  async get(@Param('id') id: string, @Query('owner') ownerQuery: unknown, @Req() request: Request) {
    return presentSession(await this.sessions.stateOf(checkId(id), ownerToReach(request, ownerQuery, id)));
  }

  /** `pause`, `resume`, `cancel`, or `signal` with `{ data, step? }` for the step waiting for it. */
  @Post(':id/actions/:action')
  @HttpCode(HttpStatus.OK)
  async act(
    @Param('id') id: string,
    @Param('action') action: string,
    @Query('owner') ownerQuery: unknown,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    checkId(id);
    const owner = ownerToReach(request, ownerQuery, id);
    switch (checkAction(action)) {
      case 'pause':
        return presentSession(await this.sessions.pause(id, owner, actorOf(request)));
      case 'resume':
        return presentSession(await this.sessions.resume(id, owner, actorOf(request)));
      case 'cancel':
        return presentSession(await this.sessions.cancel(id, owner, actorOf(request)));
      case 'signal': {
        const delivered = await this.sessions.signal(id, owner, readSignal(body));
        return { ...presentSession(delivered.state), signal: { step: delivered.step, event_id: delivered.eventId } };
      }
    }
  }
}

function checkId(id: string): string {
  if (!SESSION_ID.test(id)) throw BatonError.validation([{ path: 'id', message: 'must be a session id (letters, digits, ".", "_", ":" or "-")' }]);
  return id;
}

/** `?owner=`: one owner name (`""`, the shared owner, included); undefined when absent. */
function checkOwner(owner: unknown): string | undefined {
  if (owner === undefined) return undefined;
  if (typeof owner !== 'string' || owner.length > 200) throw BatonError.validation([{ path: 'owner', message: 'must be one owner name (at most 200 characters)' }]);
  return owner;
}

/**
 * The owner whose session `id` names: a bound token's own (naming another owner finds
 * nothing: the same 404 as a missing session, so ids cannot be probed across owners); an
 * all-owner token's `?owner=`, or undefined to look in every owner.
 */
function ownerToReach(request: Request, ownerQuery: unknown, id: string): string | undefined {
  const named = checkOwner(ownerQuery);
  const bound = boundOwnerOf(request);
  if (bound === undefined) return named;
  if (named !== undefined && named !== bound) throw BatonError.notFound('session', id);
  return bound;
}

function checkAction(action: string): SessionAction {
  if (!(SESSION_ACTIONS as readonly string[]).includes(action)) {
    throw BatonError.validation([{ path: 'action', message: `must be one of ${SESSION_ACTIONS.join(', ')}` }]);
  }
  return action as SessionAction;
}

/** `signal`'s body: `{ data?: any, step?: string }`; nothing else. */
function readSignal(body: unknown): { step?: string; data?: unknown } {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw BatonError.validation([{ path: 'body', message: 'must be an object like { "data": ..., "step": "approve" }' }]);
  const { step, data, ...unknown } = body as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw BatonError.validation(extra.map((key) => ({ path: key, message: 'is not a field of a signal (data, step)' })));
  if (step !== undefined && (typeof step !== 'string' || step.length === 0 || step.length > 200)) {
    throw BatonError.validation([{ path: 'step', message: 'must be a step id' }]);
  }
  return { step: step as string | undefined, data };
}

/** The caller's API token id, as the access guard set it; null with auth off. */
function tokenIdOf(request: Request): string | null {
  const principal = (request as unknown as { principal?: { tokenId?: unknown } }).principal;
  return typeof principal?.tokenId === 'string' ? principal.tokenId : null;
}
