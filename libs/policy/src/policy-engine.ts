import { BatonError } from '@baton/common';
import {
  checkParsePolicySet,
  checkParseSchema,
  policySetTextToParts,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  validate,
  type CedarValueJson,
  type EntityJson,
} from './cedar.js';
import { ACTION_GROUPS, type PolicyAction } from './policy-actions.js';
import { cedarSchemaText } from './policy-files.js';
import { toFieldErrors } from './policy-problems.js';
import { DecisionCache } from './decision-cache.js';

const SCHEMA_NAME = 'baton';
let engineCount = 0;

/** A caller as Cedar sees it: its entity type, id, role, groups and owner. */
export interface PolicyPrincipal {
  type: 'Token' | 'Person' | 'Agent';
  id: string;
  name: string;
  role: string;
  owner?: string;
  groups?: string[];
  /** An agent's registered capabilities (`principal.capabilities`; empty for other callers). */
  capabilities?: string[];
}

/** A reference to another entity, e.g. a run's submitter `{ type: 'Token', id: '<token id>' }`. */
export interface PolicyEntityRef {
  type: 'Token' | 'Person' | 'Agent';
  id: string;
}

/** A context value: a string, a number (Cedar `Long`), a boolean, or a list (a Cedar `Set`). */
export type PolicyContextValue = string | number | boolean | string[];

/**
 * A resource attribute: a context value, or an entity reference (compare it with `principal`:
 * `resource.submitter == principal`).
 */
export type PolicyValue = PolicyContextValue | PolicyEntityRef | CedarValueJson;

export interface PolicyResource {
  type: string;
  id: string;
  attrs?: Record<string, PolicyValue>;
}

export interface PolicyRequest {
  principal: PolicyPrincipal;
  action: PolicyAction;
  /** `{ type: 'Route', id: 'POST /api/v1/runs' }` for the HTTP guard. */
  resource: PolicyResource;
  /** The action's context: `{ method, path }` for routes, step facts for `step.dispatch`, an approval decision's `decision`, `caller`, `callerNames`, … */
  context?: Record<string, PolicyContextValue | CedarValueJson>;
}

export interface PolicyDecision {
  allowed: boolean;
  /** The policy set version that decided. */
  version: string;
  /** The `@id`s (or Cedar's `policyN`) of the policies that determined the decision. */
  reasons: string[];
  /** Policies that could not be evaluated for this request (they are skipped, so deny wins). */
  errors: string[];
}

interface LoadedSet {
  version: string;
  /** The id Cedar keeps the preparsed set under. */
  setId: string;
  /** Cedar's `policyN` → the policy's `@id` annotation. */
  names: Map<string, string>;
  /** The active set's decisions (not for trials). */
  cache?: DecisionCache;
}

/**
 * Cedar, in process. `load` validates a policy set against Baton's schema and preparses it;
 * `decide` evaluates one request against the loaded set (preparsed policies and schema, so a
 * request costs one WebAssembly call). Nest-free: the CLI and tests use it directly.
 */
export class PolicyEngine {
  private readonly schema: string;
  private active: LoadedSet | undefined;
  /**
   * Cedar keeps preparsed sets in one module-wide map by id; two engines in one process (two
   * apps in a test, each on its own database) must not overwrite each other's "version 1".
   */
  private readonly idPrefix = `e${(engineCount += 1)}`;

  constructor(schema = cedarSchemaText()) {
    this.schema = schema;
    const parsed = checkParseSchema(schema);
    if (parsed.type === 'failure') throw new Error(`Baton's Cedar schema does not parse: ${parsed.errors[0]?.message}`);
    const prepared = preparseSchema(SCHEMA_NAME, schema);
    if (prepared.type === 'failure') throw new Error(`Baton's Cedar schema does not load: ${prepared.errors[0]?.message}`);
  }

  /**
   * Throws BatonError `validation` whose details name each bad line when `text` does not parse
   * or does not validate against the schema. Nothing changes.
   */
  check(text: string): void {
    const parsed = checkParsePolicySet({ staticPolicies: text });
    if (parsed.type === 'failure') throw BatonError.validation(toFieldErrors(text, parsed.errors), undefined);
    const validated = validate({ schema: this.schema, policies: { staticPolicies: text } });
    if (validated.type === 'failure') throw BatonError.validation(toFieldErrors(text, validated.errors));
    const errors = validated.validationErrors.map((problem) => problem.error);
    if (errors.length > 0) throw BatonError.validation(toFieldErrors(text, errors));
  }

  /** Checks `text`, then makes it the set `decide` evaluates, under `version`. */
  load(version: string, text: string): void {
    this.check(text);
    const id = `${this.idPrefix}-set-${version}`;
    const prepared = preparsePolicySet(id, { staticPolicies: text });
    if (prepared.type === 'failure') throw BatonError.validation(toFieldErrors(text, prepared.errors));
    this.active = { version, setId: id, names: policyNames(text), cache: new DecisionCache(text) };
  }

  get version(): string | undefined {
    return this.active?.version;
  }

  /** The active set's decision; a request it has decided before is answered from its cache. */
  decide(request: PolicyRequest): PolicyDecision {
    const active = this.active;
    if (!active) throw new Error('no policy set is loaded');
    return active.cache!.decide(request, () => this.evaluate(active, request));
  }

  /** Decisions answered from the active set's cache, and those evaluated, since it loaded. */
  get cacheStats(): { hits: number; misses: number } {
    return { hits: this.active?.cache?.hits ?? 0, misses: this.active?.cache?.misses ?? 0 };
  }

  /**
   * Evaluates `request` against `text` without making it the active set (what-if checks,
   * such as "would this set lock admins out?"). `text` must pass `check` first.
   */
  trial(version: string, text: string, request: PolicyRequest): PolicyDecision {
    this.check(text);
    const setId = `${this.idPrefix}-trial-${version}`;
    const prepared = preparsePolicySet(setId, { staticPolicies: text });
    if (prepared.type === 'failure') throw BatonError.validation(toFieldErrors(text, prepared.errors));
    return this.evaluate({ version, setId, names: policyNames(text) }, request);
  }

  private evaluate(set: LoadedSet, request: PolicyRequest): PolicyDecision {
    const { principal } = request;
    const principalUid = { type: `Baton::${principal.type}`, id: principal.id };
    const resourceUid = { type: `Baton::${request.resource.type}`, id: request.resource.id };
    const attrs: Record<string, string | string[]> = { name: principal.name, role: principal.role, owner: principal.owner ?? '' };
    // Agents carry their capabilities in the schema; other callers have none.
    if (principal.type === 'Agent') attrs.capabilities = principal.capabilities ?? [];
    const entities: EntityJson[] = [
      {
        uid: principalUid,
        attrs,
        parents: [
          { type: 'Baton::Role', id: principal.role },
          ...(principal.groups ?? []).map((group) => ({ type: 'Baton::Group', id: group })),
        ],
      },
    ];
    // A resource that is the principal itself (an agent acting on itself) is one entity.
    if (resourceUid.type !== principalUid.type || resourceUid.id !== principalUid.id) {
      entities.push({ uid: resourceUid, attrs: cedarAttrs(request.resource.attrs), parents: [] });
    }
    const answer = statefulIsAuthorized({
      principal: principalUid,
      action: { type: 'Baton::Action', id: request.action },
      resource: resourceUid,
      context: request.context ?? {},
      entities,
      preparsedPolicySetId: set.setId,
      preparsedSchemaName: SCHEMA_NAME,
    });
    if (answer.type === 'failure') {
      return { allowed: false, version: set.version, reasons: [], errors: answer.errors.map((e) => e.message) };
    }
    const { decision, diagnostics } = answer.response;
    return {
      allowed: decision === 'allow',
      version: set.version,
      reasons: diagnostics.reason.map((id) => set.names.get(id) ?? id),
      errors: diagnostics.errors.map((e) => `${set.names.get(e.policyId) ?? e.policyId}: ${e.error.message}`),
    };
  }
}

/** Attributes as Cedar's JSON wants them: entity references become `{ __entity: … }`. */
function cedarAttrs(attrs: Record<string, PolicyValue> | undefined): EntityJson['attrs'] {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attrs ?? {})) {
    // A `{ type, id }` reference; anything else (raw Cedar JSON such as a set of `__entity`s) as given.
    const isRef = typeof value === 'object' && value !== null && !Array.isArray(value) && 'type' in value && 'id' in value;
    out[key] = isRef ? { __entity: { type: `Baton::${(value as PolicyEntityRef).type}`, id: (value as PolicyEntityRef).id } } : value;
  }
  return out as EntityJson['attrs'];
}

/** The group (permission) an action belongs to, for messages. */
export function groupOf(action: PolicyAction): string {
  return ACTION_GROUPS[action];
}

function policyNames(text: string): Map<string, string> {
  const names = new Map<string, string>();
  const parts = policySetTextToParts(text);
  if (parts.type !== 'success') return names;
  // Cedar returns the parts ordered by their ids as strings (policy0, policy1, policy10, …,
  // policy2): sort the ids the same way to pair each part with its id.
  const ids = parts.policies.map((_, index) => `policy${index}`).sort();
  parts.policies.forEach((policy, index) => {
    const id = /@id\(\s*"((?:[^"\\]|\\.)*)"\s*\)/.exec(policy)?.[1];
    if (id) names.set(ids[index]!, id);
  });
  return names;
}
