import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig, BatonError, LruCache, findHostileInput, wasFoundClean, type FieldError } from '@baton/common';
import { AgentCatalog, type Definition, type DefinitionRef, type DefinitionSource } from './definition.types.js';
import { DefinitionRepository, type DefinitionVersionSummary, type StoredDefinition } from './definition.repository.js';
import { parseDefinitionBody, type DefinitionBodyLimits } from './definition-body.js';
import { bodyText, type BodyText } from './definition-text.js';
import { CustomPatternCheck } from './patterns/custom-pattern-check.js';
import { normalizeDefinition, validateDefinition, type NormalizedDefinition } from './validation/validate-definition.js';
import { findSelfStart } from './validation/self-start-check.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

export interface DefinitionPage {
  items: Definition[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  nextCursor?: string;
}

interface Pending {
  owner: string;
  name: string;
  version: string;
  source: DefinitionSource;
  body: Record<string, unknown>;
  text: BodyText;
  normalized: NormalizedDefinition;
}

/**
 * Registers, validates and reads orchestration definitions. A stored version never
 * changes, so definitions are cached by id and by (owner, name, version) without
 * invalidation; "latest" is always asked of the database (by revision) and only then
 * served from the cache by id.
 */
@Injectable()
export class OrchestrationDefinitionService {
  private readonly byId: LruCache<string, Definition>;
  private readonly byKey: LruCache<string, Definition>;
  private readonly limits: DefinitionBodyLimits & { maxSteps: number };

  constructor(
    @Inject(DefinitionRepository) private readonly repository: DefinitionRepository,
    @Inject(AgentCatalog) private readonly agentCatalog: AgentCatalog,
    @Inject(BatonConfig) config: BatonConfig,
    @Inject(CustomPatternCheck) private readonly customPatterns: CustomPatternCheck,
  ) {
    this.byId = new LruCache(config.cacheMaxDefinitions);
    this.byKey = new LruCache(config.cacheMaxDefinitions);
    this.limits = {
      maxSteps: config.maxSteps,
      maxDepth: config.maxJsonDepth,
      maxYamlAliases: config.maxYamlAliases,
      maxExpandedLength: sizeInBytes(config.definitionBodyLimit),
    };
  }

  /**
   * Stores a saved definition version. The same body again gives the stored one back
   * (`created: false`); a different body for a stored version is a conflict (409).
   * `body` is a JSON object or a YAML string.
   */
  async register(body: unknown, owner?: string): Promise<{ definition: Definition; created: boolean }> {
    const parsed = parseDefinitionBody(body, this.limits);
    const normalized = await this.validate(parsed, true);
    const key = { owner: resolveOwner(owner, normalized.owner), name: normalized.name!, version: normalized.version! };
    await this.refuseSelfStart(key, normalized, parsed);
    return this.store({
      ...key,
      source: 'saved',
      body: parsed,
      text: bodyText(parsed),
      normalized,
    });
  }

  /**
   * Stores an inline plan (same format; name and version optional) immutably, named
   * `plan-<hash12>` and versioned `<hash12>` by default, so the same plan maps to one row.
   */
  async registerInline(plan: unknown, owner?: string): Promise<Definition> {
    const parsed = parseDefinitionBody(plan, this.limits);
    const normalized = await this.validate(parsed, false);
    const text = bodyText(parsed);
    const short = text.hash.slice(0, 12);
    const { definition } = await this.store({
      owner: resolveOwner(owner, normalized.owner),
      name: normalized.name ?? `plan-${short}`,
      version: normalized.version ?? short,
      source: 'inline',
      body: parsed,
      text,
      normalized,
    });
    return definition;
  }

  /** The most recently stored saved version of `name`. */
  async getLatest(name: string, owner = ''): Promise<Definition> {
    const id = await this.repository.findLatestId(owner, name);
    if (!id) throw BatonError.notFound('definition', describeName(owner, name));
    return this.getById(id);
  }

  /** The latest saved definitions with a trigger on the event `name` (see `triggersOf`). */
  async triggeredBy(event: string): Promise<Definition[]> {
    const ids = await this.repository.latestTriggeredBy(event);
    return Promise.all(ids.map((id) => this.getById(id)));
  }

  /** Every saved version of `name`, newest first (at most 500); not_found when there is none. */
  async listVersions(name: string, owner = ''): Promise<DefinitionVersionSummary[]> {
    const versions = await this.repository.listVersions(owner, name, 500);
    if (versions.length === 0) throw BatonError.notFound('definition', describeName(owner, name));
    return versions;
  }

  async getVersion(name: string, version: string, owner = ''): Promise<Definition> {
    const cached = this.byKey.get(cacheKey(owner, name, version));
    if (cached) return cached;
    const stored = await this.repository.findByKey(owner, name, version);
    if (!stored) throw BatonError.notFound('definition', `${describeName(owner, name)} version ${version}`);
    return this.remember(stored);
  }

  async getById(id: string): Promise<Definition> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const stored = UUID.test(id) ? await this.repository.findById(id) : undefined;
    if (!stored) throw BatonError.notFound('definition', id);
    return this.remember(stored);
  }

  /**
   * Saved definitions, the latest version of each (owner, name), ordered by owner then
   * name. `owner` undefined lists every owner; `owners` (tenancy) keeps only those owners.
   * Inline plans are not listed.
   */
  async list(options: { owner?: string; owners?: string[]; limit?: number; cursor?: string } = {}): Promise<DefinitionPage> {
    const limit = options.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw BatonError.validation([{ path: 'limit', message: `must be an integer from 1 to ${MAX_PAGE}` }]);
    }
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const stored = await this.repository.listLatest({ owner: options.owner, owners: options.owners, after, limit: limit + 1 });
    const items = stored.slice(0, limit).map((row) => this.byId.get(row.id) ?? this.remember(row));
    const last = items[items.length - 1];
    return stored.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  private async validate(body: Record<string, unknown>, saved: boolean): Promise<NormalizedDefinition> {
    // Postgres jsonb cannot hold \u0000 or lone surrogates; refuse them (and over-deep
    // values) here, whatever door the body came through, instead of a 500 at insert. An
    // HTTP body the request guard already walked is not walked again.
    const hostile = wasFoundClean(body, this.limits.maxDepth) ? undefined : findHostileInput(body, { maxDepth: this.limits.maxDepth });
    if (hostile) throw BatonError.validation([hostile]);
    // Custom pattern names are checked against the database; their errors join the others,
    // so an unknown pattern is named even when its step has other problems too.
    const customErrors = await this.customPatterns.check(body);
    try {
      const normalized = await normalizeDefinition(body, { requireNameAndVersion: saved, agentCatalog: this.agentCatalog, maxSteps: this.limits.maxSteps });
      if (customErrors.length > 0) throw BatonError.validation(customErrors);
      return normalized;
    } catch (error) {
      if (customErrors.length === 0 || !(error instanceof BatonError) || error.kind !== 'validation' || !Array.isArray(error.details)) throw error;
      if (error.details.some((e: FieldError) => customErrors.some((c) => c.path === e.path))) throw error;
      throw BatonError.validation([...(error.details as FieldError[]), ...customErrors]);
    }
  }

  /** A definition that starts itself (directly or through stored ones) is refused when stored. */
  private async refuseSelfStart(
    key: { owner: string; name: string; version: string },
    normalized: NormalizedDefinition,
    body: Record<string, unknown>,
  ): Promise<void> {
    if (!normalized.steps.some((step) => step.type === 'orchestration')) return;
    const paths = new Map<string, string>();
    (body.steps as Array<{ id?: unknown }>).forEach((step, i) => paths.set(String(step?.id), `steps[${i}]`));
    const problem = await findSelfStart({ ...key, steps: normalized.steps }, (ref) => this.findStored(ref), paths);
    if (problem) throw BatonError.validation([problem]);
  }

  private async findStored(ref: DefinitionRef): Promise<Definition | undefined> {
    try {
      const owner = ref.owner ?? '';
      return ref.version !== undefined ? await this.getVersion(ref.name, String(ref.version), owner) : await this.getLatest(ref.name, owner);
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  private async store(pending: Pending): Promise<{ definition: Definition; created: boolean }> {
    const { owner, name, version, source, body, text, normalized } = pending;
    const hash = text.hash;
    const row = { owner, name, version, source, body, contentHash: hash, description: normalized.description, stepCount: normalized.steps.length };
    const inserted = await this.repository.insertIfAbsent(row, text.json);
    if (inserted) return { definition: this.remember(inserted, normalized), created: true };
    const existing = await this.repository.findByKey(owner, name, version);
    if (!existing) throw new Error(`definition ${describeName(owner, name)} ${version} vanished after a conflicting insert`);
    if (existing.contentHash !== hash) {
      throw new BatonError(
        'conflict',
        `version "${version}" of definition ${describeName(owner, name)} already exists with a different body; publish the change under a new version`,
      );
    }
    return { definition: this.byId.get(existing.id) ?? this.remember(existing), created: false };
  }

  /** The one stored → domain mapping; re-plans the body unless it was just validated. */
  private remember(stored: StoredDefinition, normalized?: NormalizedDefinition): Definition {
    const planned = normalized ?? replan(stored);
    const definition: Definition = {
      id: stored.id,
      owner: stored.owner,
      name: stored.name,
      version: stored.version,
      revision: stored.revision,
      ...(stored.description !== undefined && { description: stored.description }),
      source: stored.source,
      body: stored.body,
      contentHash: stored.contentHash,
      steps: planned.steps,
      execution: planned.execution,
      createdAt: stored.createdAt,
    };
    this.byId.set(definition.id, definition);
    this.byKey.set(cacheKey(definition.owner, definition.name, definition.version), definition);
    return definition;
  }
}

function replan(stored: StoredDefinition): NormalizedDefinition {
  // Agents are not re-checked: one removed later must not make stored versions unreadable.
  const result = validateDefinition(stored.body, { requireNameAndVersion: false, maxSteps: Number.POSITIVE_INFINITY });
  if (!result.ok) {
    throw new Error(`stored definition ${stored.id} no longer validates: ${JSON.stringify(result.errors.slice(0, 3))}`);
  }
  return result.definition;
}

function resolveOwner(given: string | undefined, inBody: string | undefined): string {
  if (given !== undefined && inBody !== undefined && given !== inBody) {
    throw BatonError.validation([{ path: 'owner', message: `"${inBody}" does not match the requesting owner "${given}"` }]);
  }
  return given ?? inBody ?? '';
}

function cacheKey(owner: string, name: string, version: string): string {
  return JSON.stringify([owner, name, version]);
}

function describeName(owner: string, name: string): string {
  return owner ? `"${owner}/${name}"` : `"${name}"`;
}

function encodeCursor(definition: Definition): string {
  return Buffer.from(JSON.stringify([definition.owner, definition.name])).toString('base64url');
}

function decodeCursor(cursor: string): { owner: string; name: string } {
  try {
    const [owner, name] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof owner === 'string' && typeof name === 'string') return { owner, name };
  } catch {
    // fall through to the validation error
  }
  throw BatonError.validation([{ path: 'cursor', message: 'is not a cursor returned by this endpoint' }]);
}

/** body-parser's size syntax (`512kb`, `10mb`, a plain byte count) in bytes. */
function sizeInBytes(limit: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!match) return 10 * 1024 * 1024;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(match[1]) * unit);
}
