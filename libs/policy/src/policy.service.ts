import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { BatonConfig, BatonError, sha256Hex } from '@baton/common';
import { Database } from '@baton/db';
import { lineDiff, type DiffLine } from './line-diff.js';
import { PolicyEngine, type PolicyDecision, type PolicyRequest } from './policy-engine.js';
import { defaultPolicyText } from './policy-files.js';
import { PolicyRepository, type Activation } from './policy.repository.js';
import { DEFAULT_POLICY_VERSION, type ActivePolicy, type PolicySource, type PolicyVersion } from './policy-version.types.js';

/** Activations are announced here; every instance reloads (and polls, in case NOTIFY was missed). */
export const POLICY_CHANNEL = 'baton_policy';
/** How far back `rollback` looks for the previous active version. */
const ROLLBACK_WINDOW = 100;

export type VersionRef = number | typeof DEFAULT_POLICY_VERSION;

/**
 * Policy sets as immutable versions in Postgres, and which one the engine evaluates. Storing
 * validates first (a bad set is a 400 naming its lines and changes nothing); activation is one
 * more row plus a NOTIFY, so every instance picks it up within a poll interval at worst.
 */
@Injectable()
export class PolicyService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Policy');
  private loadedActivation = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private stopReconnect: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(PolicyRepository) private readonly repository: PolicyRepository,
    @Inject(PolicyEngine) private readonly engine: PolicyEngine,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.policyFile) await this.loadFile(this.config.policyFile);
    await this.refresh();
    this.unlisten = await this.db.listen(POLICY_CHANNEL, () => void this.refreshQuietly());
    this.stopReconnect = this.db.onReconnect(() => void this.refreshQuietly());
    this.timer = setInterval(() => void this.refreshQuietly(), this.config.policyPollMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopReconnect?.();
    await this.unlisten?.().catch(() => undefined);
  }

  /** Validates `text` against the schema, then stores it (once per distinct text). */
  async create(input: { body: string; description?: string; createdBy?: string; source?: PolicySource }) {
    this.engine.check(input.body);
    return this.repository.insert({ ...input, hash: sha256Hex(input.body), source: input.source ?? 'api' });
  }

  /** Makes a stored version (or the shipped default) the active one, on every instance. */
  async activate(ref: VersionRef, activatedBy?: string): Promise<ActivePolicy> {
    const version = ref === DEFAULT_POLICY_VERSION ? null : await this.find(ref);
    this.refuseLockout(version);
    await this.db.transaction(async (tx) => {
      await this.repository.activate(version?.id ?? null, activatedBy ?? null, tx);
      // Delivered to every instance's LISTEN on commit.
      await tx.query(`select pg_notify($1::text, $2::text)`, [POLICY_CHANNEL, String(version?.version ?? DEFAULT_POLICY_VERSION)]);
    });
    await this.refresh();
    return this.active();
  }

  /** Activates the version that was active before the current one. */
  async rollback(activatedBy?: string): Promise<ActivePolicy> {
    const history = await this.repository.activations(ROLLBACK_WINDOW);
    const current = history[0];
    if (!current) throw new BatonError('invalid_state', 'nothing to roll back: the default policy set has always been active');
    const previous = history.find((activation) => activation.version?.id !== current.version?.id);
    return this.activate(previous?.version?.version ?? DEFAULT_POLICY_VERSION, activatedBy);
  }

  async list(limit = 100): Promise<{ active: ActivePolicy; items: PolicyVersion[] }> {
    return { active: await this.active(), items: await this.repository.list(limit) };
  }

  async get(ref: VersionRef): Promise<PolicyVersion | ActivePolicy> {
    if (ref === DEFAULT_POLICY_VERSION) return this.defaultPolicy(null);
    return this.find(ref);
  }

  /** A line diff from one version to another (`default` is the shipped set). */
  async diff(from: VersionRef, to: VersionRef): Promise<{ from: VersionRef; to: VersionRef; lines: DiffLine[] }> {
    const [before, after] = await Promise.all([this.get(from), this.get(to)]);
    return { from, to, lines: lineDiff(before.body, after.body) };
  }

  /**
   * What `version` (the set this instance evaluates when absent) decides for `request`,
   * without doing anything.
   */
  async evaluate(request: PolicyRequest, ref?: VersionRef): Promise<PolicyDecision> {
    if (ref === undefined) return this.engine.decide(request);
    const policy = await this.get(ref);
    return this.engine.trial(String(ref), policy.body, request);
  }

  /** What is active now, from the database (not this instance's cache). */
  async active(): Promise<ActivePolicy> {
    const [current] = await this.repository.activations(1);
    return this.describe(current);
  }

  /** Loads the newest activation into the engine if it is not the loaded one. */
  async refresh(): Promise<void> {
    const [current] = await this.repository.activations(1);
    const activationId = current?.activationId ?? 0;
    if (activationId === this.loadedActivation && this.engine.version !== undefined) return;
    const active = this.describe(current);
    try {
      this.engine.load(String(active.version), active.body);
      this.loadedActivation = activationId;
      this.logger.log(`policy version ${active.version} (${active.hash.slice(0, 12)}) is active`);
      this.warnIfDispatchClosed(active.version);
    } catch (error) {
      // A stored set the current schema no longer accepts: keep evaluating the loaded one.
      this.logger.error(`policy version ${active.version} does not load; keeping ${this.engine.version}: ${(error as Error).message}`);
      this.loadedActivation = activationId;
    }
  }

  /**
   * A set written before step dispatch was evaluated has no `step.dispatch` permit, and Cedar
   * denies what nothing permits: every agent step would fail `policy_denied`. Say so loudly at
   * load, on every instance, rather than let the first run find out.
   */
  private warnIfDispatchClosed(version: number | string): void {
    const decision = this.engine.decide({
      principal: { type: 'Agent', id: 'dispatch-probe', name: 'dispatch-probe', role: 'agent', owner: '', capabilities: [] },
      action: 'step.dispatch',
      resource: { type: 'Definition', id: 'dispatch-probe@1', attrs: { name: 'dispatch-probe', version: '1', owner: '' } },
      context: { runId: '', stepId: '', stepType: 'agent', capability: '', runOwner: '' },
    });
    if (!decision.allowed) {
      this.logger.warn(
        `policy version ${version} permits no step.dispatch for a plain agent: agent steps fail with policy_denied unless a rule permits them (see docs/policy.md, "dispatch-all")`,
      );
    }
  }

  private async refreshQuietly(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      this.logger.warn(`could not check the active policy: ${(error as Error).message}`);
    }
  }

  /** BATON_POLICY_FILE: stored and activated when its text differs from the last file version. */
  private async loadFile(path: string): Promise<void> {
    const body = await readFile(path, 'utf8');
    const last = await this.repository.latestFromFile();
    if (last?.hash === sha256Hex(body)) return;
    try {
      const { version } = await this.create({ body, source: 'file', description: `BATON_POLICY_FILE ${path}`, createdBy: 'file' });
      await this.activate(version.version, 'file');
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      // The message names the first bad lines (policy:<line>: …); starting anyway keeps the
      // hub governed by the active version rather than down.
      this.logger.error(`BATON_POLICY_FILE ${path} was not loaded, the active policy stays: ${error.message}`);
    }
  }

  private async find(version: number): Promise<PolicyVersion> {
    const found = await this.repository.findByNumber(version);
    if (!found) throw BatonError.notFound('policy version', String(version));
    return found;
  }

  /**
   * A set that denies admins `policy.manage` would leave nobody able to undo it through the
   * API; refuse to activate it.
   */
  private refuseLockout(version: PolicyVersion | null): void {
    if (!version) return;
    const decision = this.engine.trial(String(version.version), version.body, {
      principal: { type: 'Token', id: 'lockout-check', name: 'admin', role: 'admin' },
      action: 'policy.manage',
      resource: { type: 'Route', id: 'POST /api/v1/policies/:version/activate' },
    });
    if (!decision.allowed) {
      throw BatonError.validation(
        [{ path: 'version', message: 'this policy set denies admins policy.manage, so nobody could change it again; it was not activated' }],
      );
    }
  }

  private describe(current: Activation | undefined): ActivePolicy {
    if (!current?.version) return this.defaultPolicy(current ?? null);
    return {
      version: current.version.version,
      hash: current.version.hash,
      body: current.version.body,
      activatedAt: current.activatedAt,
      activatedBy: current.activatedBy,
      activationId: current.activationId,
    };
  }

  private defaultPolicy(activation: Activation | null): ActivePolicy {
    const body = defaultPolicyText();
    return {
      version: DEFAULT_POLICY_VERSION,
      hash: sha256Hex(body),
      body,
      activatedAt: activation?.activatedAt ?? null,
      activatedBy: activation?.activatedBy ?? null,
      activationId: activation?.activationId ?? 0,
    };
  }
}
