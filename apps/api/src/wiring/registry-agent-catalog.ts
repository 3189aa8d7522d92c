import { Inject, Injectable } from '@nestjs/common';
import { AgentRegistryService } from '@baton/agents';
import { AgentCatalog } from '@baton/definitions';

/** Lets definitions check agent names against the registry without either library knowing the other. */
@Injectable()
export class RegistryAgentCatalog extends AgentCatalog {
  constructor(@Inject(AgentRegistryService) private readonly registry: AgentRegistryService) {
    super();
  }

  unknownAgents(names: string[]): Promise<string[]> {
    return this.registry.unknownAgents(names);
  }
}
