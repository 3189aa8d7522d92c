import { Inject, Injectable, Optional } from '@nestjs/common';
import type { WebhookEventPayload } from './webhook.types.js';

/** What a renderer gets: the delivery's event and the subscription it goes to. */
export interface RenderInput {
  deliveryId: string;
  event: WebhookEventPayload;
  subscription: { id: string; url: string; format: string; formatOptions: Record<string, unknown> };
}

/** A delivery's body (the bytes the signature covers) and headers added to the signed ones. */
export interface RenderedDelivery {
  body: string;
  /** e.g. `content-type`, `x-a2a-notification-token`; the `x-baton-*` headers are always set. */
  headers: Record<string, string>;
}

/**
 * The extension point for bodies other than Baton's event envelope. A feature above this
 * floor (A2A push notifications) extends it for its formats and registers an instance,
 * either by providing it under {@link WEBHOOK_RENDERERS} in the module that imports
 * `WebhooksModule`, or with `WebhookRendererRegistry.register` at module init. `render` runs
 * at send time (each attempt); what it throws is a failed attempt, retried like a 5xx.
 */
export abstract class DeliveryRenderer {
  /** The `format` values this renderer writes. */
  abstract readonly formats: readonly string[];
  abstract render(input: RenderInput): Promise<RenderedDelivery>;
}

/** Optional multi-provider token: `DeliveryRenderer[]`. */
export const WEBHOOK_RENDERERS = Symbol('WEBHOOK_RENDERERS');

/** The renderers this process knows, by format. */
@Injectable()
export class WebhookRendererRegistry {
  private readonly byFormat = new Map<string, DeliveryRenderer>();

  constructor(@Optional() @Inject(WEBHOOK_RENDERERS) renderers?: DeliveryRenderer[]) {
    for (const renderer of renderers ?? []) this.register(renderer);
  }

  register(renderer: DeliveryRenderer): void {
    for (const format of renderer.formats) this.byFormat.set(format, renderer);
  }

  find(format: string): DeliveryRenderer | undefined {
    return this.byFormat.get(format);
  }

  /** `baton` and every registered format. */
  formats(): string[] {
    return ['baton', ...this.byFormat.keys()];
  }
}
