import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig, BatonError, canonicalJson, sha256Hex, type FieldError } from '@baton/common';
import { AgentRegistryService, type Agent, type RegisterAgentInput } from '@baton/agents';
import { OrchestrationDefinitionService } from '@baton/definitions';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NodesService } from '@baton/nodes';
import { PolicyService } from '@baton/policy';
import { ScheduleService } from '@baton/scheduler';
import { WebhookSubscriptionService, normaliseEventPatterns } from '@baton/webhooks';
import { BootstrapFileError, readBootstrapFile, type BootstrapFile } from './bootstrap-file.js';

/** Webhooks from the file are recognised by this description prefix plus their `name`. */
const WEBHOOK_TAG = 'bootstrap:';

/**
 * Applies BATON_BOOTSTRAP_FILE at start-up: agents, definitions, webhooks, schedules, node
 * registration tokens, in that order (definitions name agents, schedules name definitions). Idempotent: an unchanged entry is left alone, a
 * changed agent or schedule is updated, a changed webhook replaced, and a definition is
 * versioned (a different body under a stored version is an error). Any error stops start-up
 * with every problem found, each with the file and the field's path.
 */
@Injectable()
export class BootstrapFileService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(AgentRegistryService) private readonly agents: AgentRegistryService,
    @Inject(WebhookSubscriptionService) private readonly webhooks: WebhookSubscriptionService,
    @Inject(ScheduleService) private readonly schedules: ScheduleService,
    @Inject(NodesService) private readonly nodes: NodesService,
    @Inject(PolicyService) private readonly policies: PolicyService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const file = this.config.bootstrapFile;
    if (!file) return;
    const counts = await this.apply(file, readBootstrapFile(file));
    this.logger.log(`applied ${file}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }

  /** Applies every entry, collecting errors; throws them all at the end. */
  async apply(file: string, content: BootstrapFile): Promise<Record<string, number>> {
    const errors: FieldError[] = [];
    const counts: Record<string, number> = { created: 0, updated: 0, unchanged: 0 };
    const each = async (section: keyof BootstrapFile, fn: (entry: Record<string, unknown>, at: string) => Promise<'created' | 'updated' | 'unchanged'>) => {
      for (const [index, entry] of content[section].entries()) {
        const at = `${section}[${index}]`;
        try {
          counts[await fn(entry, at)]!++;
        } catch (error) {
          errors.push(...errorsOf(error, at));
        }
      }
    };
    // Agents first: a definition's steps must name agents that exist.
    await each('agents', (entry) => this.ensureAgent(entry));
    await each('definitions', async (entry) => ((await this.definitions.register(entry)).created ? 'created' : 'unchanged'));
    await each('webhooks', (entry, at) => this.ensureWebhook(entry, at));
    await each('schedules', (entry, at) => this.schedules.ensure(entry, at));
    // Issue 15: named node registration tokens (secrets by hash or by environment variable).
    await each('node_registration_tokens', (entry) => this.nodes.seedRegistrationToken(entry, process.env));
    // Last: a policy set that locked the file's own changes out would apply after them.
    await each('policies', (entry, at) => this.ensurePolicy(entry, at, file));
    if (errors.length > 0) throw new BootstrapFileError(file, errors);
    return counts;
  }

  /**
   * A Cedar policy set (`{ body | file, description? }`, a file relative to the bootstrap
   * file): stored as a version and activated, unless it is the active one already. With
   * several entries, the last one ends up active.
   */
  private async ensurePolicy(entry: Record<string, unknown>, at: string, bootstrapFile: string): Promise<'created' | 'updated' | 'unchanged'> {
    const unknown = Object.keys(entry).filter((key) => !['body', 'file', 'description'].includes(key));
    if (unknown.length > 0) throw BatonError.validation(unknown.map((key) => ({ path: `${at}.${key}`, message: 'is not a field (body, file, description)' })));
    if ((typeof entry.body === 'string') === (typeof entry.file === 'string')) {
      throw BatonError.validation([{ path: `${at}.body`, message: 'give exactly one of body (Cedar text) or file (a path)' }]);
    }
    let body = entry.body as string | undefined;
    if (body === undefined) {
      const path = resolve(dirname(bootstrapFile), entry.file as string);
      try {
        body = readFileSync(path, 'utf8');
      } catch (error) {
        throw BatonError.validation([{ path: `${at}.file`, message: `cannot be read: ${(error as Error).message}` }]);
      }
    }
    if ((await this.policies.active()).hash === sha256Hex(body)) return 'unchanged';
    const description = typeof entry.description === 'string' ? entry.description : `bootstrap file ${bootstrapFile}`;
    const { version, created } = await this.policies.create({ body, description, createdBy: 'bootstrap', source: 'file' });
    await this.policies.activate(version.version, 'bootstrap');
    return created ? 'created' : 'updated';
  }

  /** Registers only when a field differs: registering always rewrites the row (and its updatedAt). */
  private async ensureAgent(entry: Record<string, unknown>): Promise<'created' | 'updated' | 'unchanged'> {
    const existing = typeof entry.name === 'string' ? await this.agents.find(entry.name) : undefined;
    if (existing && sameAgent(existing, entry)) return 'unchanged';
    const { created } = await this.agents.register(entry as unknown as RegisterAgentInput);
    return created ? 'created' : 'updated';
  }

  private async ensureWebhook(entry: Record<string, unknown>, at: string): Promise<'created' | 'updated' | 'unchanged'> {
    const { name, ...rest } = entry;
    if (typeof name !== 'string' || !name) throw BatonError.validation([{ path: `${at}.name`, message: 'is required: it recognises the webhook on the next start' }]);
    const description = `${WEBHOOK_TAG}${name}`;
    const existing = (await this.webhooks.list()).find((w) => w.description === description && w.runId === null);
    const wanted = { url: rest.url, events: normaliseEventPatterns(rest.events).patterns, format: rest.format ?? 'baton' };
    if (existing && canonicalJson({ url: existing.url, events: existing.events, format: existing.format }) === canonicalJson(wanted)
        && (rest.secret === undefined || rest.secret === existing.secret)) {
      return 'unchanged';
    }
    await this.webhooks.create({ ...(rest as object), description } as never);
    // Replaced, not edited: subscriptions have no update, so the old one goes once the new one exists.
    if (existing) await this.webhooks.remove(existing.id);
    return existing ? 'updated' : 'created';
  }
}

function sameAgent(agent: Agent, entry: Record<string, unknown>): boolean {
  const stored = {
    kind: agent.kind, url: agent.url ?? null, capabilities: [...agent.capabilities].sort(), maxConcurrency: agent.maxConcurrency ?? null,
    timeoutSeconds: agent.timeoutSeconds ?? null, headers: agent.headers ?? {}, trustedOrigins: agent.trustedOrigins ?? [],
  };
  const given = {
    kind: entry.kind, url: typeof entry.url === 'string' ? entry.url.trim() : null,
    capabilities: Array.isArray(entry.capabilities) ? [...new Set(entry.capabilities.map((c) => String(c).trim()))].sort() : [],
    maxConcurrency: entry.maxConcurrency ?? null, timeoutSeconds: entry.timeoutSeconds ?? null,
    headers: entry.headers ?? {}, trustedOrigins: entry.trustedOrigins ?? [],
  };
  return canonicalJson(stored) === canonicalJson(given);
}

function errorsOf(error: unknown, at: string): FieldError[] {
  if (error instanceof BatonError && error.kind === 'validation' && Array.isArray(error.details)) {
    return (error.details as FieldError[]).map((d) => ({ path: d.path.startsWith(at) ? d.path : `${at}.${d.path}`, message: d.message }));
  }
  return [{ path: at, message: (error as Error).message }];
}
