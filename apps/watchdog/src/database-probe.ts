import pg from 'pg';

export interface DatabaseFindings {
  /** Due queued steps waiting longer than the stall window (nothing dispatched them). */
  stalledSteps: number;
  /** Running steps whose lease expired long ago (their instance is gone). */
  orphanedSteps: number;
  /** Unfinished child runs whose parent run is finished. */
  orphanedRuns: number;
}

/**
 * The watchdog's only view of the database: one read-only session (`set session
 * characteristics as transaction read only`, on top of a role that should only hold SELECT),
 * so it can never write, whatever the role may.
 */
export class DatabaseProbe {
  private client: pg.Client | null = null;

  constructor(private readonly url: string) {}

  async check(stallMinutes: number, orphanMinutes: number): Promise<DatabaseFindings> {
    const client = await this.connect();
    try {
      const { rows } = await client.query<{ stalled: number; orphaned_steps: number; orphaned_runs: number }>(
        `select
           (select count(*)::int from orchestration_steps s join orchestration_runs r on r.id = s.run_id
             where s.status = 'queued' and r.status in ('running', 'pending')
               and s.available_at < now() - ($1::float8 * interval '1 minute')) as stalled,
           (select count(*)::int from orchestration_steps
             where status = 'running' and lease_expires_at < now() - ($2::float8 * interval '1 minute')) as orphaned_steps,
           (select count(*)::int from orchestration_runs c join orchestration_runs p on p.id = c.parent_run_id
             where c.status in ('pending', 'running', 'waiting', 'paused') and p.status in ('completed', 'failed', 'cancelled')) as orphaned_runs`,
        [stallMinutes, orphanMinutes],
      );
      const row = rows[0]!;
      return { stalledSteps: row.stalled, orphanedSteps: row.orphaned_steps, orphanedRuns: row.orphaned_runs };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => void this.close());
    await client.connect();
    await client.query('set session characteristics as transaction read only');
    this.client = client;
    return client;
  }
}
