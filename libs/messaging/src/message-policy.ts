import { Inject, Injectable } from '@nestjs/common';
import { TokenService, type Role } from '@baton/identity';
import type { MessageKind, MessageTarget } from './message.types.js';

/** The question asked before a message is sent: may this sender send this to that target? */
export interface MessageSendRequest {
  sender: { name: string; role: Role };
  kind: MessageKind;
  type: string;
  to: MessageTarget;
}

export type MessageSendDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * The one decision point for `message.send`. `CedarMessagePolicy` (the default since issue 13)
 * asks the active Cedar policy set; `RoleTableMessagePolicy` is the role table it replaced.
 * A deny becomes a 403 with `reason`, and is logged.
 */
export abstract class MessagePolicy {
  abstract decide(request: MessageSendRequest): Promise<MessageSendDecision>;
}

/** Roles that hold an inbox: the ones that may send (`agent`) and `admin`. */
const RECEIVING_ROLES: ReadonlySet<Role> = new Set(['agent', 'admin']);
const TOKEN_CACHE_MS = 1_000;

/**
 * The role table and the agent tokens (the decision before issue 13). The access guard already
 * let only `runs.submit` holders (agent, admin) reach `POST /api/v1/messages`; this adds that
 * an agent target must be a live token whose role can receive (an operator's or viewer's token
 * has no inbox). Topics are open to any sender.
 */
@Injectable()
export class RoleTableMessagePolicy extends MessagePolicy {
  private known: { at: number; roles: Map<string, Role> } | undefined;

  constructor(@Inject(TokenService) private readonly tokens: TokenService) {
    super();
  }

  async decide(request: MessageSendRequest): Promise<MessageSendDecision> {
    if (!RECEIVING_ROLES.has(request.sender.role)) {
      return { allowed: false, reason: `role ${request.sender.role} may not send messages` };
    }
    return this.reachable(request.to);
  }

  /**
   * Not a permission but a fact: an agent target must be a live token whose role has an inbox.
   * Topics are always reachable.
   */
  protected async reachable(to: MessageTarget): Promise<MessageSendDecision> {
    if (!('agent' in to)) return { allowed: true };
    let role = (await this.liveRoles()).get(to.agent);
    // A token created since the cache was filled: look again before denying.
    if (role === undefined) role = (await this.liveRoles(true)).get(to.agent);
    if (role === undefined) return { allowed: false, reason: `no agent named ${to.agent} holds a live token` };
    if (!RECEIVING_ROLES.has(role)) return { allowed: false, reason: `${to.agent} (role ${role}) cannot receive messages` };
    return { allowed: true };
  }

  /**
   * Live token holders and roles, cached for a second (a burst of sends costs one query). An
   * agent credential's holder is its agent (issue 13), named as the agent, not the token.
   */
  private async liveRoles(fresh = false): Promise<Map<string, Role>> {
    if (!fresh && this.known && Date.now() - this.known.at < TOKEN_CACHE_MS) return this.known.roles;
    const roles = new Map<string, Role>();
    for (const token of await this.tokens.list()) if (!token.revokedAt) roles.set(token.agent ?? token.name, token.role);
    this.known = { at: Date.now(), roles };
    return roles;
  }
}
