import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { OrchestrationDefinitionService, loadExampleDefinitions } from '@baton/definitions';

/**
 * Stores the example definitions at start-up (BATON_SEED_EXAMPLES, on by default), so a
 * fresh `npm start` has something to run. Versions are immutable, so seeding is idempotent;
 * an example whose version was changed by hand is left as stored and logged.
 */
@Injectable()
export class ExampleSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('Examples');

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedExamples) return;
    for (const { file, body } of loadExampleDefinitions()) {
      try {
        const { definition, created } = await this.definitions.register(body);
        if (created) this.logger.log(`loaded example ${definition.name}@${definition.version} from ${file}`);
      } catch (error) {
        this.logger.warn(`example ${file} not loaded: ${(error as Error).message}`);
      }
    }
  }
}
