import { Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { CurrentPrincipal, type Principal } from '@baton/identity';
import { agentOf, MessagingService } from '../messaging.service.js';

const TOPIC = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,199}$/;

/** Topic subscriptions: an agent subscribes itself; broadcasts reach every subscriber's inbox. */
@Controller('api/v1/topics/:topic/subscriptions')
export class TopicsController {
  constructor(@Inject(MessagingService) private readonly messaging: MessagingService) {}

  /** 200 either way; `created` says whether the caller was subscribed already. */
  @Post()
  @HttpCode(HttpStatus.OK)
  async subscribe(@CurrentPrincipal() caller: Principal, @Param('topic') topic: string): Promise<{ topic: string; agent: string; created: boolean }> {
    checkTopic(topic);
    const created = await this.messaging.subscribe(caller, topic);
    return { topic, agent: agentOf(caller).name, created };
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  async unsubscribe(@CurrentPrincipal() caller: Principal, @Param('topic') topic: string): Promise<void> {
    checkTopic(topic);
    await this.messaging.unsubscribe(caller, topic);
  }

  @Get()
  async list(@Param('topic') topic: string): Promise<{ topic: string; agents: string[] }> {
    checkTopic(topic);
    return { topic, agents: await this.messaging.subscribers(topic) };
  }
}

function checkTopic(topic: string): void {
  if (!TOPIC.test(topic)) throw BatonError.validation([{ path: 'topic', message: 'must be 1-200 characters: letters, digits, "_", ".", ":", "@", "/" or "-"' }]);
}
