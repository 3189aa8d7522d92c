import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig, BatonError, type FieldError } from '@baton/common';
import { DeliveryRepository, type DeliveryPage } from './delivery.repository.js';
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
}

const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 256;

/** Subscriptions: create, read, delete, and the built-in progress webhook. */
@Injectable()
export class WebhookSubscriptionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
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
    const secret = this.config.progressWebhookSecret ?? null;
    await this.subscriptions.upsertBuiltin(PROGRESS_WEBHOOK_KEY, url, secret, generateWebhookSecret());
    this.logger.log(`progress webhook: all events to ${new URL(url).origin}`);
  }

  /** Creates a subscription. The returned secret (given or generated) is shown only now. */
  async create(input: CreateWebhookInput): Promise<WebhookSubscription> {
    const errors: FieldError[] = [];
    const url = typeof input.url === 'string' ? input.url.trim() : '';
    if (!isHttpUrl(url)) errors.push({ path: 'url', message: 'must be an absolute http:// or https:// URL' });
    const { patterns, errors: patternErrors } = normaliseEventPatterns(input.events);
    errors.push(...patternErrors);
    if (input.secret !== undefined && (input.secret.length < MIN_SECRET_LENGTH || input.secret.length > MAX_SECRET_LENGTH)) {
      errors.push({ path: 'secret', message: `must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters` });
    }
    if (errors.length > 0) throw BatonError.validation(errors);
    return this.subscriptions.insert({
      url,
      events: patterns,
      secret: input.secret ?? generateWebhookSecret(),
      description: input.description ?? null,
      active: input.active ?? true,
    });
  }

  list(): Promise<WebhookSubscription[]> {
    return this.subscriptions.list();
  }

  async get(id: string): Promise<WebhookSubscription> {
    const found = isUuid(id) ? await this.subscriptions.find(id) : undefined;
    if (!found) throw BatonError.notFound('webhook', id);
    return found;
  }

  /** Deletes a subscription and its deliveries. The progress webhook is configuration, not data. */
  async remove(id: string): Promise<void> {
    const found = await this.get(id);
    if (found.builtinKey) {
      throw new BatonError('invalid_state', `webhook ${id} comes from ORCHESTRATION_PROGRESS_WEBHOOK_URL; unset the variable instead`);
    }
    if (!(await this.subscriptions.delete(id))) throw BatonError.notFound('webhook', id);
  }

  async deliveriesOf(id: string, page: DeliveryPage): Promise<WebhookDelivery[]> {
    await this.get(id);
    return this.deliveries.listForSubscription(id, page);
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
