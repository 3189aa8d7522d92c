import { Inject, Injectable } from '@nestjs/common';
import { TokenService } from '@baton/identity';
import { PolicyAuthorizer } from '@baton/policy';
import { RoleTableMessagePolicy, type MessageSendDecision, type MessageSendRequest } from './message-policy.js';

/**
 * `message.send` decided by the active Cedar policy set, per message (issue 13): principal the
 * sender (`Baton::Agent::"<name>"` with its role), resource the message type
 * (`Baton::MessageType::"<name>"`), context the recipient (`recipient`, `recipientKind`
 * `agent`|`topic`, `kind`). The default set permits `agent` and `admin` senders, as the role
 * table did. A permitted message still needs a recipient that can receive it (a live token
 * with an inbox), which is a fact about tokens rather than a permission.
 */
@Injectable()
export class CedarMessagePolicy extends RoleTableMessagePolicy {
  constructor(
    @Inject(TokenService) tokens: TokenService,
    @Inject(PolicyAuthorizer) private readonly authorizer: PolicyAuthorizer,
  ) {
    super(tokens);
  }

  override async decide(request: MessageSendRequest): Promise<MessageSendDecision> {
    const { sender, to } = request;
    const decision = this.authorizer.decide({
      principal: { type: 'Agent', id: sender.name, name: sender.name, role: sender.role },
      action: 'message.send',
      resource: { type: 'MessageType', id: request.type },
      context: {
        recipient: 'agent' in to ? to.agent : to.topic,
        recipientKind: 'agent' in to ? 'agent' : 'topic',
        kind: request.kind,
      },
    });
    if (!decision.allowed) {
      const why = decision.reasons.length > 0 ? ` (${decision.reasons.join(', ')})` : '';
      return { allowed: false, reason: `policy version ${decision.version} does not permit ${sender.name} to send ${request.type}${why}` };
    }
    return this.reachable(to);
  }
}
