import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig, BatonError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import type { Principal, TokenPrincipal } from '@baton/identity';
import { RunLog } from './run-log.js';
import { DeliveryRepository } from './delivery.repository.js';
import { ExternalEventsService } from './external-events.service.js';
import { MessagePolicy } from './message-policy.js';
import { MessageRepository } from './message.repository.js';
import { MessageTypeService } from './message-type.service.js';
import { HUB_SENDER, TIMEOUT_TYPE, type Message, type MessageKind, type MessageTarget } from './message.types.js';
import { InboxSignals } from './inbox-signals.js';

/** `POST /api/v1/messages` after the DTO has checked the shape. */
export interface SendMessageInput {
  to?: MessageTarget;
  kind: MessageKind;
  type: string;
  payload: unknown;
  nonce: string;
  correlationId?: string;
  replyTo?: string;
  ttlSeconds?: number;
  runId?: string;
}

/**
 * Sends messages: checks the payload against its type, asks the policy, refuses replays, and
 * in ONE transaction claims the nonce, logs the message and queues a delivery per recipient.
 * Nothing is routed that was not logged, and nothing logged is left unrouted.
 */
@Injectable()
export class MessagingService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(MessageRepository) private readonly messages: MessageRepository,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(MessageTypeService) private readonly types: MessageTypeService,
    @Inject(MessagePolicy) private readonly policy: MessagePolicy,
    @Inject(ExternalEventsService) private readonly events: ExternalEventsService,
    @Inject(InboxSignals) private readonly signals: InboxSignals,
    @Inject(RunLog) private readonly runLog: RunLog,
  ) {}

  async send(caller: Principal, input: SendMessageInput): Promise<{ message: Message; recipients: string[] }> {
    const sender = agentOf(caller);
    const type = await this.types.check(input.type, input.payload);
    const request = input.kind === 'reply' ? await this.requestAnswered(sender.name, input) : undefined;
    const to = this.targetOf(input, request);
    if (input.runId !== undefined) await this.runLog.assertRun(input.runId);
    const fields = {
      sender: sender.name,
      kind: input.kind,
      type: type.name,
      typeVersion: type.version,
      targetAgent: 'agent' in to ? to.agent : null,
      targetTopic: 'topic' in to ? to.topic : null,
      payload: input.payload,
      nonce: input.nonce,
      correlationId: input.correlationId ?? null,
      replyTo: input.replyTo ?? null,
      runId: input.runId ?? null,
      ttlSeconds: input.ttlSeconds ?? null,
    };
    const decision = await this.policy.decide({ sender, kind: input.kind, type: type.name, to });
    if (!decision.allowed) {
      // Logged, with its reason and no deliveries; the nonce stays unclaimed (nothing was sent).
      await this.messages.insert({ ...fields, status: 'denied', denyReason: decision.reason });
      throw new BatonError('forbidden', `message.send denied: ${decision.reason}`);
    }
    return this.db.transaction(async (tx) => {
      if (!(await this.messages.claimNonce(sender.name, input.nonce, this.config.messageReplayWindowSeconds, tx))) {
        throw new BatonError('conflict', `nonce ${input.nonce} was already used by ${sender.name} within the replay window`, [
          { path: 'nonce', message: 'replayed' },
        ]);
      }
      let message = await this.messages.insert({ ...fields, status: 'accepted', denyReason: null }, tx);
      if (input.kind === 'request') {
        await this.messages.setCorrelationToId(message.id, tx);
        message = { ...message, correlationId: message.id };
      }
      if (request && !(await this.messages.markAnswered(request.id, sender.name, tx))) {
        throw new BatonError('conflict', `request ${request.id} was already answered or timed out`, [
          { path: 'correlation_id', message: 'already answered' },
        ]);
      }
      const recipients = 'agent' in to ? [to.agent] : (await this.messages.subscribers(to.topic, tx)).filter((a) => a !== sender.name);
      await this.deliveries.enqueue(message.id, recipients, tx);
      await this.signals.notify(recipients, tx);
      // Sent on behalf of a run's step: the run's own log shows it, in the same transaction.
      if (message.runId) await this.runLog.sent(message, recipients, tx);
      // Last: storing the event takes the event name's lock, held until commit.
      if (input.kind === 'event') await this.events.recordMessageEvent(message.id, type.name, input.payload, sender.name, tx);
      return { message, recipients };
    });
  }

  /** Baton's own `timeout` reply to a request nobody answered in time, sent at most once. */
  async timeOut(requestId: string): Promise<boolean> {
    return this.db.transaction(async (tx: Transaction) => {
      const request = await this.messages.markAnswered(requestId, HUB_SENDER, tx);
      if (!request) return false; // answered meanwhile, or another instance timed it out
      const target = request.replyTo ?? request.sender;
      const reply = await this.messages.insert(
        {
          sender: HUB_SENDER,
          kind: 'reply',
          type: TIMEOUT_TYPE,
          typeVersion: 0,
          targetAgent: target,
          targetTopic: null,
          payload: { request_id: request.id, type: request.type, to: request.to, expired_at: request.expiresAt },
          nonce: `timeout:${request.id}`,
          correlationId: request.id,
          replyTo: null,
          runId: request.runId,
          ttlSeconds: null,
          status: 'accepted',
          denyReason: null,
        },
        tx,
      );
      await this.deliveries.enqueue(reply.id, [target], tx);
      await this.signals.notify([target], tx);
      return true;
    });
  }

  async get(id: string): Promise<{ message: Message; deliveries: Array<{ recipient: string; status: string; attempts: number }> }> {
    const message = await this.messages.find(id);
    if (!message) throw BatonError.notFound('message', id);
    return { message, deliveries: await this.deliveries.statusesOf(id) };
  }

  list(limit: number): Promise<Message[]> {
    return this.messages.listRecent(limit);
  }

  async subscribe(caller: Principal, topic: string): Promise<boolean> {
    return this.messages.subscribe(topic, agentOf(caller).name);
  }

  async unsubscribe(caller: Principal, topic: string): Promise<void> {
    if (!(await this.messages.unsubscribe(topic, agentOf(caller).name))) throw BatonError.notFound('subscription to topic', topic);
  }

  subscribers(topic: string): Promise<string[]> {
    return this.messages.subscribers(topic);
  }

  /** A reply names the request it answers; only a recipient of that request may answer it. */
  private async requestAnswered(sender: string, input: SendMessageInput): Promise<Message> {
    const id = input.correlationId;
    if (!id || !UUID.test(id)) throw BatonError.validation([{ path: 'correlation_id', message: 'a reply must carry the id of the request it answers' }]);
    const request = await this.messages.find(id);
    const recipients = request ? (await this.deliveries.statusesOf(id)).map((d) => d.recipient) : [];
    if (!request || request.kind !== 'request' || request.status !== 'accepted' || !recipients.includes(sender)) {
      throw BatonError.validation([{ path: 'correlation_id', message: `no request ${id} was delivered to ${sender}` }]);
    }
    return request;
  }

  /** Requests and events name their target; a reply goes back where its request asked. */
  private targetOf(input: SendMessageInput, request: Message | undefined): MessageTarget {
    if (request) {
      const back = request.replyTo ?? request.sender;
      if (input.to && !('agent' in input.to && input.to.agent === back)) {
        throw BatonError.validation([{ path: 'to', message: `a reply goes back to ${back}; omit "to" or name that agent` }]);
      }
      return { agent: back };
    }
    if (!input.to) throw BatonError.validation([{ path: 'to', message: 'must name an agent or a topic' }]);
    if (input.kind !== 'request' && input.replyTo !== undefined) {
      throw BatonError.validation([{ path: 'reply_to', message: 'only a request may say where its reply goes' }]);
    }
    if (input.kind === 'request' && input.correlationId !== undefined) {
      throw BatonError.validation([{ path: 'correlation_id', message: 'a request gets its correlation id from Baton (its message id)' }]);
    }
    return input.to;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Messages are sent and received by token holders; the sender is never taken from the body. */
export function agentOf(caller: Principal): TokenPrincipal {
  if ('anonymous' in caller) throw new BatonError('unauthorized', 'messaging needs an agent token: the sender is the caller');
  if (!('tokenId' in caller)) throw new BatonError('forbidden', `person ${caller.name} may not send or receive agent messages: that needs an agent token`);
  return caller;
}
