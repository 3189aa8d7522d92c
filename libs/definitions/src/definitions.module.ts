import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { AgentCatalog } from './definition.types.js';
import { BuiltinAgentCatalog } from './builtin-agent-catalog.js';
import { DefinitionRepository } from './definition.repository.js';
import { OrchestrationDefinitionService } from './definition.service.js';
import { DefinitionsController } from './http/definitions.controller.js';
import { PatternsController } from './http/patterns.controller.js';
import { CustomPatternCheck } from './patterns/custom-pattern-check.js';
import { CustomPatternRepository } from './patterns/custom-pattern.repository.js';
import { PatternLibraryService } from './patterns/pattern-library.service.js';

export interface DefinitionsModuleOptions {
  /** Modules whose exports `agentCatalog` needs (e.g. the agents module). */
  imports?: ModuleMetadata['imports'];
  /**
   * The app's AgentCatalog implementation, instantiated here (`useClass`). Without one,
   * only the built-in agents (`builtin:echo|delay|fail|transform`) are known.
   */
  agentCatalog?: Type<AgentCatalog>;
}

/**
 * Definitions: validation, planning, storage and the REST API. Needs `Database` and
 * `BatonConfig` (global modules). The app supplies the AgentCatalog so this library
 * never depends on the agents library.
 */
@Module({})
export class DefinitionsModule {
  static register(options: DefinitionsModuleOptions = {}): DynamicModule {
    return {
      module: DefinitionsModule,
      imports: options.imports ?? [],
      controllers: [DefinitionsController, PatternsController],
      providers: [
        DefinitionRepository,
        CustomPatternRepository,
        CustomPatternCheck,
        PatternLibraryService,
        OrchestrationDefinitionService,
        { provide: AgentCatalog, useClass: options.agentCatalog ?? BuiltinAgentCatalog },
      ],
      exports: [OrchestrationDefinitionService],
    };
  }
}
