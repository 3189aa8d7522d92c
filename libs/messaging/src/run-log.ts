import { Inject, Injectable } from '@nestjs/common';
import { BatonError } from '@baton/common';
import type { Transaction } from '@baton/db';
import { EventLogService } from '@baton/events';
import { RunQueryService } from '@baton/runs';
import type { Message } from './message.types.js';
import { MESSAGE_DELIVERY_MOVES } from './message-delivery-status.js';

/**
 * `message.*` events in a run's event log (issue 14): a message that names a `run_id` was
 * sent on behalf of that run's step, so the run's history shows it being sent and delivered.
 */
@Injectable()
export class RunLog {
  constructor(
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  /** A `run_id` must name a run: a 400 naming the field otherwise, and nothing is sent. */
  async assertRun(runId: string): Promise<void> {
    try {
      await this.runs.getRun(runId);
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'not_found') {
        throw BatonError.validation([{ path: 'run_id', message: `no run ${runId}` }]);
      }
      throw error;
    }
  }

  async sent(message: Message, recipients: string[], tx: Transaction): Promise<void> {
    await this.events.append(tx, [
      {
        runId: message.runId!,
        type: 'message.sent',
        data: { messageId: message.id, sender: message.sender, kind: message.kind, type: message.type, to: message.to, correlationId: message.correlationId, recipients },
      },
    ]);
  }

  async delivered(delivery: { runId: string; messageId: string; deliveryId: string; recipient: string; via: 'pull' | 'push' }, tx: Transaction): Promise<void> {
    const { runId, ...data } = delivery;
    // `ack` leaves only `leased` (the delivery table's guard), so that is the status it left.
    const move = MESSAGE_DELIVERY_MOVES.ack;
    await this.events.append(tx, [{ runId, type: 'message.delivered', data: { ...data, from: move.from[0]!, to: move.to } }]);
  }
}
