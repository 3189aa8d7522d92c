import { Inject, Injectable, Logger } from '@nestjs/common';
import { Database } from '@baton/db';
import { StepTransitionsService, type Completion } from '@baton/runs';

/** Completions written in one transaction at most. */
const MAX_BATCH = 100;

/**
 * Gathers step completions that finish close together and writes them in one transaction:
 * one commit (and one fsync) for many steps is where throughput comes from. A batch starts
 * on the next turn of the event loop, so a lone completion waits for nothing.
 */
@Injectable()
export class CompletionBuffer {
  private readonly logger = new Logger('CompletionBuffer');
  private pending: Array<{ completion: Completion; resolve: (accepted: boolean) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(Database) private readonly db: Database,
  ) {}

  /** Resolves to whether the completion was accepted (false: the lease was lost meanwhile). */
  complete(completion: Completion): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ completion, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    this.scheduled = this.pending.length > 0;
    if (this.scheduled) setImmediate(() => void this.flush());
    if (batch.length === 0) return;
    try {
      // An agent's answer is not thrown away because the database is restarting: the batch is
      // written once it is back. Safe to repeat: each completion is guarded by its lease token.
      const completions = batch.map((entry) => entry.completion);
      const accepted = await this.db.retryWhileDisconnected(() => this.transitions.completeMany(completions));
      batch.forEach((entry, i) => entry.resolve(accepted[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One bad completion must not sink the others: write them one by one.
      this.logger.warn(`batch of ${batch.length} completions failed (${(error as Error).message}); retrying singly`);
      for (const entry of batch) {
        this.transitions.completeMany([entry.completion]).then(([ok]) => entry.resolve(ok!), entry.reject);
      }
    }
  }
}
