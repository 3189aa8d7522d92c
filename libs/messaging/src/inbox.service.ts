import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig, BatonError } from '@baton/common';
import { Database } from '@baton/db';
import type { Principal } from '@baton/identity';
import { DeliveryRepository } from './delivery.repository.js';
import { InboxSignals } from './inbox-signals.js';
import type { InboxItem } from './message.types.js';
import { agentOf } from './messaging.service.js';
import { RunLog } from './run-log.js';

// Re-check the table at least this often while waiting: leases that ran out wake nobody.
const RECHECK_MS = 1_000;

/**
 * Pull inboxes. A pull leases entries for `BATON_MESSAGE_LEASE_SECONDS`; an entry not acked
 * by then is handed out again (at least once), with the same `deliveryId` to deduplicate on.
 */
@Injectable()
export class InboxService {
  constructor(
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(InboxSignals) private readonly signals: InboxSignals,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(RunLog) private readonly runLog: RunLog,
  ) {}

  /** Up to `limit` entries; waits up to `waitSeconds` for the first one (long poll). */
  async pull(caller: Principal, options: { limit: number; waitSeconds: number; signal?: AbortSignal }): Promise<InboxItem[]> {
    const recipient = agentOf(caller).name;
    const deadline = Date.now() + options.waitSeconds * 1000;
    for (;;) {
      const items = await this.deliveries.lease(recipient, options.limit, this.config.messageLeaseSeconds, this.config.messageMaxAttempts);
      const left = deadline - Date.now();
      if (items.length > 0 || left <= 0 || options.signal?.aborted || this.signals.closed) return items;
      await this.signals.waitFor(recipient, Math.min(left, RECHECK_MS), options.signal);
    }
  }

  async ack(caller: Principal, deliveryId: string): Promise<void> {
    const recipient = agentOf(caller).name;
    const acked = await this.db.transaction(async (tx) => {
      const result = await this.deliveries.ack(deliveryId, recipient, tx);
      if (result?.fresh && result.runId) {
        await this.runLog.delivered({ runId: result.runId, messageId: result.messageId, deliveryId, recipient, via: 'pull' }, tx);
      }
      return result;
    });
    if (acked === undefined) throw BatonError.notFound('inbox entry', deliveryId);
    if (acked.status !== 'acked') throw new BatonError('invalid_state', `inbox entry ${deliveryId} is ${acked.status}, not leased`);
  }
}
