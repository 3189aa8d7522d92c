import type { Queryable } from '@baton/db';

/**
 * Reading the database behind a test's back: were steps completed exactly once, and how many
 * ran at once. Plans of `builtin:delay` steps to give the engine parallel work.
 */

export interface DelayStep {
  id: string;
  agent: 'builtin:delay';
  depends_on?: string[];
  input: { ms: number; output: { step: string } };
}

/** A plan body with the given steps and per-run parallelism. */
export function delayPlan(steps: DelayStep[], maxParallel: number) {
  return { steps, orchestration: { execution: { concurrency: { maxParallel } } } };
}

export function delayStep(id: string, ms: number, dependsOn: string[] = []): DelayStep {
  const step: DelayStep = { id, agent: 'builtin:delay', input: { ms, output: { step: id } } };
  if (dependsOn.length > 0) step.depends_on = dependsOn;
  return step;
}

/** `count` steps that depend on nothing, each sleeping `ms`. */
export function independentSteps(count: number, ms: number): DelayStep[] {
  return Array.from({ length: count }, (_, i) => delayStep(`s${i}`, ms));
}

/** Completions of each step of these runs, from the rows and from the event log. */
export interface CompletionAudit {
  /** Steps whose row is not `completed`, as `run/key:status`. */
  notCompleted: string[];
  /** Steps with other than exactly one `step.completed` event, as `run/key:count`. */
  notCompletedOnce: string[];
  stepRows: number;
  completionEvents: number;
}

export async function auditCompletions(db: Queryable, runIds: string[]): Promise<CompletionAudit> {
  const { rows } = await db.query<{ run_id: string; step_key: string; status: string; completions: number }>(
    `select s.run_id, s.step_key, s.status,
            (select count(*)::int from orchestration_events e
              where e.run_id = s.run_id and e.step_key = s.step_key and e.type = 'step.completed') as completions
       from orchestration_steps s where s.run_id = any($1::uuid[])`,
    [runIds],
  );
  const events = await db.query<{ n: number }>(
    `select count(*)::int as n from orchestration_events where run_id = any($1::uuid[]) and type = 'step.completed'`,
    [runIds],
  );
  const label = (r: (typeof rows)[number]) => `${r.run_id.slice(0, 8)}/${r.step_key}`;
  return {
    notCompleted: rows.filter((r) => r.status !== 'completed').map((r) => `${label(r)}:${r.status}`),
    notCompletedOnce: rows.filter((r) => r.completions !== 1).map((r) => `${label(r)}:${r.completions}`),
    stepRows: rows.length,
    completionEvents: events.rows[0]!.n,
  };
}

/** How many of each event type these runs logged. */
export async function eventCounts(db: Queryable, runIds: string[]): Promise<Record<string, number>> {
  const { rows } = await db.query<{ type: string; n: number }>(
    `select type, count(*)::int as n from orchestration_events where run_id = any($1::uuid[]) group by type`,
    [runIds],
  );
  return Object.fromEntries(rows.map((r) => [r.type, r.n]));
}

/** Steps running now, as `run_id/step_key`. */
export async function runningSteps(db: Queryable, runIds: string[]): Promise<string[]> {
  const { rows } = await db.query<{ run_id: string; step_key: string }>(
    `select run_id, step_key from orchestration_steps where run_id = any($1::uuid[]) and status = 'running'`,
    [runIds],
  );
  return rows.map((r) => `${r.run_id}/${r.step_key}`);
}

export interface RunningSample {
  samples: number;
  /** Most steps running at once, across every run. */
  maxTotal: number;
  /** Most steps of one run running at once. */
  maxPerRun: number;
  /** Most steps running at once, for each run seen. */
  perRun: Map<string, number>;
  /** Every lease owner seen on a running step. */
  owners: Set<string>;
}

/**
 * Samples `status = 'running'` every `intervalMs` until stopped. Each sample is one
 * statement, so one snapshot: the counts are what the database held at that instant.
 */
export function sampleRunning(db: Queryable, intervalMs = 10): { stop(): Promise<RunningSample> } {
  const result: RunningSample = { samples: 0, maxTotal: 0, maxPerRun: 0, perRun: new Map(), owners: new Set() };
  let stopped = false;
  let failure: unknown;
  const loop = (async () => {
    while (!stopped) {
      try {
        const { rows } = await db.query<{ run_id: string; n: number; owners: string[] }>(
          `select run_id::text, count(*)::int as n, array_agg(distinct lease_owner) filter (where lease_owner is not null) as owners
             from orchestration_steps where status = 'running' group by run_id`,
        );
        result.samples++;
        result.maxTotal = Math.max(result.maxTotal, rows.reduce((sum, row) => sum + row.n, 0));
        for (const row of rows) {
          result.maxPerRun = Math.max(result.maxPerRun, row.n);
          result.perRun.set(row.run_id, Math.max(result.perRun.get(row.run_id) ?? 0, row.n));
          for (const owner of row.owners ?? []) result.owners.add(owner);
        }
      } catch (error) {
        failure = error;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
      return result;
    },
  };
}
