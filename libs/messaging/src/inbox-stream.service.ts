import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { BatonConfig, BatonError } from '@baton/common';
import type { Principal } from '@baton/identity';
import { DeliveryRepository } from './delivery.repository.js';
import { toInboxResponse } from './http/message.presenter.js';
import { InboxSignals } from './inbox-signals.js';
import { agentOf } from './messaging.service.js';

const BATCH = 50;
const HEARTBEAT_MS = 15_000;
// Leases that ran out wake nobody: re-check the table at least this often.
const RECHECK_MS = 1_000;

/**
 * The inbox as Server-Sent Events: the same leases as a pull (at least once, dedupe on
 * `delivery_id`), written as they arrive. The event id is the entry's outbox position, so a
 * client that reconnects with `Last-Event-ID` gets what it missed at once (`releaseAfter`).
 */
@Injectable()
export class InboxStreamService {
  constructor(
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(InboxSignals) private readonly signals: InboxSignals,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  async serve(caller: Principal, lastEventId: string | undefined, response: Response): Promise<void> {
    const recipient = agentOf(caller).name;
    if (lastEventId !== undefined && !/^\d{1,18}$/.test(lastEventId)) {
      throw BatonError.validation([{ path: 'last-event-id', message: 'must be the id of an event of this stream (digits)' }]);
    }
    if (lastEventId !== undefined) await this.deliveries.releaseAfter(recipient, lastEventId);
    const abort = new AbortController();
    response.on('close', () => abort.abort());
    response.status(200);
    response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    response.setHeader('cache-control', 'no-cache');
    response.setHeader('x-accel-buffering', 'no');
    response.flushHeaders();
    response.write(': inbox\n\n');
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    try {
      while (!abort.signal.aborted && !this.signals.closed) {
        const items = await this.deliveries.lease(recipient, BATCH, this.config.messageLeaseSeconds, this.config.messageMaxAttempts);
        if (abort.signal.aborted) break; // leased for nobody: the leases run out and the entries go again
        if (items.length > 0) {
          response.write(items.map((item) => `id: ${item.position}\nevent: message\ndata: ${JSON.stringify(toInboxResponse(item))}\n\n`).join(''));
          continue;
        }
        await this.signals.waitFor(recipient, RECHECK_MS, abort.signal);
      }
    } finally {
      clearInterval(heartbeat);
      if (!response.writableEnded) response.end();
    }
  }
}
