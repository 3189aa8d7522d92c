import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig, BatonError, EgressPolicy, ownerReaches, urlDeniedMessage, type FieldError } from '@baton/common';
import { Database } from '@baton/db';
import { RunOwnerCache } from '@baton/events';
import { DeliveryRepository, type DeliveryPage } from './delivery.repository.js';
import { WebhookRendererRegistry } from './delivery-renderer.js';
import { normaliseEventPatterns } from './event-patterns.js';
import { generateWebhookSecret } from './signature.js';
import { SubscriptionRepository } from './subscription.repository.js';
import type { WebhookDelivery, WebhookSubscription } from './webhook.types.js';

/** The key of the subscription that ORCHESTRATION_PROGRESS_WEBHOOK_URL configures. */
export const PROGRESS_WEBHOOK_KEY = 'progress';

export interface CreateWebhookInput {
  url: string;
  events?: unknown;
  secret?: string;
  description?: string;
  active?: boolean;
  /** Only events of this run. */
  runId?: string;
  /** `baton` (default) or a format a registered renderer writes. */
  format?: string;
  /** Tenancy: only this owner's runs' events (an all-owner token may set it); absent: hub-wide. */
  owner?: string;
}

/**
 * A subscription that belongs to another feature's object (an A2A push config of a task):
 * its id is chosen by the caller, it is scoped to one run and its body has a format of its own.
 */
export interface ScopedWebhookInput {
  id: string;
  runId: string;
  url: string;
  events: string[];
  format: string;
  formatOptions: Record<string, unknown>;
  description?: string;
}

const MIN_SECRET_LENGTH = 16;
/** As for a token's owner (`libs/identity`). */
const OWNER_PATTERN = /^\S{1,200}$/;
const MAX_SECRET_LENGTH = 256;

/** Subscriptions: create, read, delete, and the built-in progress webhook. */
@Injectable()
export class WebhookSubscriptionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(WebhookRendererRegistry) private readonly renderers: WebhookRendererRegistry,
    @Inject(EgressPolicy) private readonly egress: EgressPolicy,
    @Inject(Database) private readonly db: Database,
    @Inject(RunOwnerCache) private readonly runOwners: RunOwnerCache,
  ) {}

  /** Seeds (or re-points, or switches off) the progress webhook from the configuration. */
  async onApplicationBootstrap(): Promise<void> {
    const url = this.config.progressWebhookUrl;
    if (!url) {
      await this.subscriptions.deactivateBuiltin(PROGRESS_WEBHOOK_KEY);
      return;
    }
    if (!isHttpUrl(url)) {
      this.logger.error(`ORCHESTRATION_PROGRESS_WEBHOOK_URL is not an http(s) URL; progress webhook off`);
      await this.subscriptions.deactivateBuiltin(PROGRESS_WEBHOOK_KEY);
      return;
    }
    const verdict = this.egress.checkUrl(url);
    if (!verdict.allowed) {
      // Kept on: every delivery is then recorded as refused, which is where an operator looks.
      this.logger.error(`ORCHESTRATION_PROGRESS_WEBHOOK_URL ${urlDeniedMessage(url, verdict.reason)}`);
    }
    const secret = this.config.progressWebhookSecret ?? null;
    await this.subscriptions.upsertBuiltin(PROGRESS_WEBHOOK_KEY, url, secret, generateWebhookSecret());
    this.logger.log(`progress webhook: all events to ${new URL(url).origin}`);
  }

  /** Creates a subscription. The returned secret (given or generated) is shown only now. */
  async create(input: CreateWebhookInput): Promise<WebhookSubscription> {
    const errors: FieldError[] = [];
    const url = typeof input.url === 'string' ? input.url.trim() : '';
    if (!isHttpUrl(url)) errors.push({ path: 'url', message: 'must be an absolute http:// or https:// URL' });
    else errors.push(...this.egressErrors(url, 'url'));
    const { patterns, errors: patternErrors } = normaliseEventPatterns(input.events);
    errors.push(...patternErrors);
    if (input.secret !== undefined && (input.secret.length < MIN_SECRET_LENGTH || input.secret.length > MAX_SECRET_LENGTH)) {
      errors.push({ path: 'secret', message: `must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters` });
    }
    if (input.runId !== undefined && !isUuid(input.runId)) errors.push({ path: 'runId', message: 'must be a run id (UUID)' });
    const formats = this.renderers.formats();
    if (input.format !== undefined && !formats.includes(input.format)) errors.push({ path: 'format', message: `must be one of: ${formats.join(', ')}` });
    if (input.owner !== undefined && !OWNER_PATTERN.test(input.owner)) errors.push({ path: 'owner', message: 'must be 1-200 characters without whitespace' });
    if (errors.length > 0) throw BatonError.validation(errors);
    // An owned subscription scoped to a run must be scoped to a run of that owner.
    if (input.owner !== undefined && input.runId !== undefined) {
      if ((await this.runOwners.ownersOf([input.runId])).get(input.runId) !== input.owner) throw BatonError.notFound('run', input.runId);
    }
    return this.subscriptions.insert({
      owner: input.owner ?? null,
      url,
      events: patterns,
      secret: input.secret ?? generateWebhookSecret(),
      description: input.description ?? null,
      active: input.active ?? true,
      runId: input.runId ?? null,
      format: input.format,
    });
  }

  /**
   * Creates or replaces (same id, same run) a run-scoped subscription for another feature;
   * its secret is generated (the HMAC headers are sent anyway). A clash with the id of a
   * subscription elsewhere is a conflict.
   */
  async upsertScoped(input: ScopedWebhookInput): Promise<WebhookSubscription> {
    if (!isHttpUrl(input.url.trim())) throw BatonError.validation([{ path: 'url', message: 'must be an absolute http:// or https:// URL' }]);
    const denied = this.egressErrors(input.url.trim(), 'url');
    if (denied.length > 0) throw BatonError.validation(denied);
    const { patterns, errors } = normaliseEventPatterns(input.events);
    if (errors.length > 0) throw BatonError.validation(errors);
    const saved = await this.subscriptions.upsertScoped({
      id: input.id,
      runId: input.runId,
      url: input.url.trim(),
      events: patterns,
      secret: generateWebhookSecret(),
      description: input.description ?? null,
      active: true,
      format: input.format,
      formatOptions: input.formatOptions,
    });
    if (!saved) throw new BatonError('conflict', `webhook ${input.id} exists and is not scoped to run ${input.runId}`);
    return saved;
  }

  /** A receiver the egress policy refuses before any connection (a literal address, a denied name). */
  private egressErrors(url: string, path: string): FieldError[] {
    const verdict = this.egress.checkUrl(url);
    return verdict.allowed ? [] : [{ path, message: urlDeniedMessage(url, verdict.reason) }];
  }

  /** The subscriptions scoped to a run, oldest first; only those of `formats` when given. */
  listForRun(runId: string, formats?: string[]): Promise<WebhookSubscription[]> {
    return isUuid(runId) ? this.subscriptions.listForRun(runId, formats ?? null) : Promise.resolve([]);
  }

  /** The subscription `id` if it exists and is scoped to `runId`. */
  async findForRun(runId: string, id: string): Promise<WebhookSubscription | undefined> {
    const found = isUuid(id) ? await this.subscriptions.find(id) : undefined;
    return found && found.runId === runId ? found : undefined;
  }

  /** Every subscription; to a caller bound to `bound` (tenancy), that owner's only. */
  list(bound?: string): Promise<WebhookSubscription[]> {
    return this.subscriptions.list(bound);
  }

  /** One subscription; another owner's (or a hub-wide one) is a 404 to a caller bound to `bound`. */
  async get(id: string, bound?: string): Promise<WebhookSubscription> {
    const found = isUuid(id) ? await this.subscriptions.find(id) : undefined;
    if (!found || !ownerReaches(bound, found.owner)) throw BatonError.notFound('webhook', id);
    return found;
  }

  /** Deletes a subscription and its deliveries. The progress webhook is configuration, not data. */
  async remove(id: string, bound?: string): Promise<void> {
    const found = await this.get(id, bound);
    if (found.builtinKey) {
      throw new BatonError('invalid_state', `webhook ${id} comes from ORCHESTRATION_PROGRESS_WEBHOOK_URL; unset the variable instead`);
    }
    if (!(await this.subscriptions.delete(id))) throw BatonError.notFound('webhook', id);
  }

  async deliveriesOf(id: string, page: DeliveryPage, bound?: string): Promise<WebhookDelivery[]> {
    await this.get(id, bound);
    return this.deliveries.listForSubscription(id, page);
  }

  /** A dead delivery goes out again (an operator fixed the receiver); 409 for any other state. */
  async redeliver(id: string, deliveryId: string, bound?: string): Promise<WebhookDelivery> {
    await this.get(id, bound);
    if (!isUuid(deliveryId)) throw BatonError.notFound('delivery', deliveryId);
    const reset = await this.db.transaction(async (tx) => {
      const row = await this.deliveries.redeliver(id, deliveryId, tx);
      if (row) await this.deliveries.notifyDue(tx);
      return row;
    });
    if (reset) return reset;
    const found = await this.deliveries.find(id, deliveryId);
    if (!found) throw BatonError.notFound('delivery', deliveryId);
    throw new BatonError('invalid_state', `delivery ${deliveryId} is ${found.status}: only dead deliveries are sent again`);
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}
