import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig, BatonError, findHostileInput } from '@baton/common';
import { OrchestrationDefinitionService } from '../definition.service.js';
import { PATTERN_NAMES, customPatternDefinition, type PatternName } from '../pattern.types.js';
import { Issues, isObject, readObject, readString, describe } from '../validation/field-reader.js';
import { schemaProblem } from './custom-pattern-check.js';
import { CustomPatternRepository, type CustomPattern } from './custom-pattern.repository.js';
import { BUILTIN_PATTERN_CATALOG, type PatternDescription } from './pattern-catalog.js';

const BODY_KEYS = ['name', 'version', 'description', 'settings', 'steps', 'orchestration'] as const;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Custom patterns listed at most (the listing is not paged: there are few). */
const LIST_LIMIT = 500;

/**
 * The built-in patterns and the custom ones registered with `POST /api/v1/patterns`. A custom
 * pattern's steps are stored as the definition `pattern.<name>` (same validation, same
 * immutability); its row adds the settings schema that using steps are checked against.
 */
@Injectable()
export class PatternLibraryService {
  constructor(
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(CustomPatternRepository) private readonly patterns: CustomPatternRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  async list(): Promise<PatternDescription[]> {
    const custom = await this.patterns.listLatest(LIST_LIMIT);
    return [...BUILTIN_PATTERN_CATALOG, ...custom.map(describeCustom)];
  }

  /** 201 semantics: `created` false when the same version with the same steps was stored before. */
  async register(body: unknown): Promise<{ pattern: PatternDescription; created: boolean }> {
    // jsonb cannot hold \u0000 or lone surrogates: refuse them (and over-deep values) up front.
    const hostile = findHostileInput(body, { maxDepth: this.config.maxJsonDepth });
    if (hostile) throw BatonError.validation([hostile]);
    const issues = new Issues();
    const obj = readObject(body, '', issues, BODY_KEYS);
    if (!obj) throw BatonError.validation(issues.errors);
    const name = readString(obj, 'name', '', issues, { required: true, pattern: NAME, patternHint: 'letters, digits, _ and -, not starting with a digit or -', maxLength: 100 });
    if (name !== undefined && PATTERN_NAMES.includes(name as PatternName)) issues.add('name', `"${name}" is a built-in pattern`);
    const version = typeof obj.version === 'number' ? String(obj.version) : readString(obj, 'version', '', issues, { required: true, maxLength: 64 });
    const description = readString(obj, 'description', '', issues, { maxLength: 4000 });
    const settings = readSettingsSchema(obj.settings, issues);
    if (issues.errors.length > 0) throw BatonError.validation(issues.errors);
    const { definition } = await this.definitions.register({
      name: customPatternDefinition(name!),
      version: version!,
      ...(description !== undefined && { description }),
      steps: obj.steps,
      ...(obj.orchestration !== undefined && { orchestration: obj.orchestration }),
    });
    const row = { name: name!, version: version!, description: description ?? null, settingsSchema: settings, definitionId: definition.id };
    const created = await this.patterns.insert(row);
    const stored = created ? { ...row, createdAt: new Date() } : await this.patterns.find(name!, version!);
    if (!created && (stored?.definitionId !== definition.id || JSON.stringify(stored.settingsSchema) !== JSON.stringify(settings))) {
      throw new BatonError('conflict', `pattern ${name} version ${version} is already registered with different steps or settings`);
    }
    return { pattern: describeCustom(stored!), created };
  }
}

function readSettingsSchema(value: unknown, issues: Issues): Record<string, unknown> {
  if (value === undefined) return { type: 'object' };
  if (!isObject(value)) {
    issues.add('settings', `must be a JSON Schema object, got ${describe(value)}`);
    return {};
  }
  const problem = schemaProblem(value);
  if (problem) issues.add('settings', `is not a valid JSON Schema: ${problem}`);
  return value;
}

function describeCustom(pattern: CustomPattern): PatternDescription {
  return { name: pattern.name, kind: 'custom', version: pattern.version, description: pattern.description ?? '', settings: pattern.settingsSchema };
}

