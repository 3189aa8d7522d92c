import { sendMail } from '@baton/common';
import { DatabaseProbe } from './database-probe.js';
import type { WatchdogConfig } from './watchdog-config.js';

export type Log = (line: string) => void;

/**
 * The external watchdog (issue 16): a separate process that polls Baton's /health, alerts
 * after `failures` failed polls in a row (and once more when Baton answers again), and with a
 * read-only database URL alerts on stalled dispatch and orphans, asking Baton (with an
 * operator token) to recycle them through the doctor. It never writes the database.
 */
export class Watchdog {
  private failuresInRow = 0;
  private down = false;
  private alertedFindings = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly probe: DatabaseProbe | null;

  constructor(
    private readonly config: WatchdogConfig,
    private readonly log: Log = (line) => process.stdout.write(`${line}\n`),
  ) {
    this.probe = config.databaseUrl ? new DatabaseProbe(config.databaseUrl) : null;
  }

  start(): void {
    this.log(`watchdog: polling ${this.config.batonUrl}/health every ${this.config.intervalMs} ms`);
    const tick = async () => {
      await this.tick();
      if (this.timer !== undefined) this.timer = setTimeout(tick, this.config.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.probe?.close();
  }

  /** One round: health, then the database checks. Exposed for tests. */
  async tick(): Promise<void> {
    await this.checkHealth();
    if (this.probe && !this.down) await this.checkDatabase(this.probe);
  }

  private async checkHealth(): Promise<void> {
    let problem: string | null = null;
    try {
      const response = await fetch(`${this.config.batonUrl}/health`, { signal: AbortSignal.timeout(Math.max(this.config.intervalMs, 5_000)) });
      if (!response.ok) problem = `/health answered ${response.status}`;
    } catch (error) {
      problem = `/health failed: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`;
    }
    if (problem === null) {
      this.failuresInRow = 0;
      if (this.down) {
        this.down = false;
        await this.alert('Baton is back', `${this.config.batonUrl}/health answers again.`);
      }
      return;
    }
    this.failuresInRow++;
    this.log(`watchdog: ${problem} (${this.failuresInRow} in a row)`);
    if (this.failuresInRow >= this.config.failures && !this.down) {
      this.down = true;
      await this.alert(
        'Baton is down',
        `${this.config.batonUrl}/health failed ${this.failuresInRow} times in a row; last: ${problem}.\n` +
          'See docs/operations.md. Restart it with `npm start` (or your service manager).',
      );
    }
  }

  private async checkDatabase(probe: DatabaseProbe): Promise<void> {
    try {
      const found = await probe.check(this.config.stallMinutes, this.config.orphanMinutes);
      const lines: string[] = [];
      if (found.stalledSteps > 0) lines.push(`${found.stalledSteps} due queued step(s) not dispatched for ${this.config.stallMinutes} min`);
      if (found.orphanedSteps > 0) lines.push(`${found.orphanedSteps} running step(s) whose lease expired ${this.config.orphanMinutes}+ min ago`);
      if (found.orphanedRuns > 0) lines.push(`${found.orphanedRuns} unfinished child run(s) whose parent is finished`);
      const key = lines.join('\n');
      if (key && key !== this.alertedFindings) {
        const recycled = await this.recycle();
        await this.alert('Baton has stuck work', `${key}\n\n${recycled}`);
      }
      this.alertedFindings = key;
    } catch (error) {
      this.log(`watchdog: database check failed: ${(error as Error).message}`);
    }
  }

  /** Asks Baton's doctor to repair (needs an operator token); says what happened. */
  private async recycle(): Promise<string> {
    if (!this.config.batonToken) return 'Set WATCHDOG_BATON_TOKEN (operator) to let the watchdog ask Baton to repair; or run `npm run baton -- doctor --fix`.';
    try {
      const response = await fetch(`${this.config.batonUrl}/api/v1/doctor/fix`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.config.batonToken}` },
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json().catch(() => ({}))) as { repairs?: unknown[] };
      return response.ok ? `Asked Baton's doctor to repair: ${body.repairs?.length ?? 0} repair(s).` : `Baton's doctor answered ${response.status}.`;
    } catch (error) {
      return `Could not reach Baton's doctor: ${(error as Error).message}`;
    }
  }

  private async alert(subject: string, text: string): Promise<void> {
    this.log(`watchdog ALERT: ${subject}: ${text.split('\n')[0]}`);
    if (this.config.smtpUrl && this.config.alertTo.length > 0) {
      await sendMail(this.config.smtpUrl, { from: this.config.alertFrom, to: this.config.alertTo, subject: `[Baton watchdog] ${subject}`, text }).catch(
        (error) => this.log(`watchdog: alert e-mail failed: ${(error as Error).message}`),
      );
    }
    if (this.config.webhookUrl) {
      await fetch(this.config.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'baton-watchdog', subject, text, at: new Date().toISOString() }),
        signal: AbortSignal.timeout(10_000),
      }).catch((error) => this.log(`watchdog: alert webhook failed: ${(error as Error).message}`));
    }
  }
}
