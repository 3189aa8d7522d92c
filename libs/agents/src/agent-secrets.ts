import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { AgentRepository } from './agent.repository.js';

/**
 * At start-up, with BATON_SECRET_KEY set: encrypts header values stored in plaintext (agents
 * registered before the key was set, or before this release). Without the key: warns when
 * any agent has headers, since their values then sit in the database as given.
 */
@Injectable()
export class AgentSecretsSealer implements OnApplicationBootstrap {
  private readonly logger = new Logger('AgentSecrets');

  constructor(
    @Inject(AgentRepository) private readonly agents: AgentRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.secretKey) {
      const count = await this.agents.countWithPlaintextHeaders();
      if (count > 0) this.logger.warn(`BATON_SECRET_KEY is not set: header values of ${count} agent(s) are stored unencrypted`);
      return;
    }
    const sealed = await this.agents.sealPlaintextHeaders();
    if (sealed > 0) this.logger.log(`encrypted the stored header values of ${sealed} agent(s)`);
  }
}
