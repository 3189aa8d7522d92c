import { Inject, Injectable, Logger } from '@nestjs/common';
import { Database } from '@baton/db';
import { StepTransitionsService, type ClaimedStep, type Completion, type HandoffRequest } from '@baton/runs';

/** Completions written in one transaction at most. */
const MAX_BATCH = 100;

/**
 * What the execution queue lends a batch for the hand-off (issue 17): the claim request,
 * sized to the slots it can give (its free ones and those the batch's steps give back), and
 * `done`, which starts the steps claimed and gives the reservation back. `done` is called
 * exactly once, with null when the batch's transaction failed.
 */
export interface HandoffGrant {
  request: HandoffRequest;
  done(result: { claimed: ClaimedStep[]; settled: string[] } | null): void;
}

/** The execution queue, seen from the buffer: a grant for a batch of these steps, or null. */
export interface HandoffTarget {
  grant(stepIds: string[]): HandoffGrant | null;
  /**
   * A batch with a hand-off was written again after its commit's answer was lost: the first
   * attempt may have committed and claimed steps of these runs that nobody here started.
   * Starts those leased to this instance and not running here.
   */
  adoptLeased(runIds: string[]): Promise<void>;
}

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
  private target: HandoffTarget | null = null;

  constructor(
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(Database) private readonly db: Database,
  ) {}

  /** The queue that runs the steps a batch's hand-off claims (set once it is built). */
  handOffTo(target: HandoffTarget): void {
    this.target = target;
  }

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
      // A repeat after a commit whose answer was lost would leave the steps that commit's
      // hand-off claimed leased to nobody running them: they are adopted below.
      const completions = batch.map((entry) => entry.completion);
      const grant = this.target?.grant(completions.map((c) => c.step.id)) ?? null;
      let attempts = 0;
      let result;
      try {
        result = await this.db.retryWhileDisconnected(() => {
          attempts++;
          return this.transitions.completeAndHandOff(completions, grant?.request ?? null);
        });
      } catch (error) {
        grant?.done(null);
        if (!grant) throw error;
        // The hand-off is an optimisation: should it have failed the batch (a deadlock the
        // server broke), the completions are written again without it (lease-guarded).
        this.logger.warn(`completion with hand-off failed (${(error as Error).message}); writing it without`);
        result = await this.db.retryWhileDisconnected(() => this.transitions.completeAndHandOff(completions, null));
      }
      const settled = result.settled ? completions.filter((_, i) => result.accepted[i]).map((c) => c.step.id) : [];
      grant?.done({ claimed: result.claimed, settled });
      if (grant && attempts > 1) {
        const runIds = [...new Set(completions.map((c) => c.step.runId))];
        await this.target!.adoptLeased(runIds).catch((error) =>
          this.logger.warn(`could not read back steps claimed by a lost commit (${(error as Error).message}); lease recovery will re-queue them`),
        );
      }
      batch.forEach((entry, i) => entry.resolve(result.accepted[i]!));
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
