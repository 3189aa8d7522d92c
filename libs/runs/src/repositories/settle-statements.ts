/**
 * The statements that settle what finished steps owe their runs: their dependents' counts
 * (a dependent whose last dependency finished becomes queued) and the runs' step counters.
 * `StepRepository.completeMany` inlines them for one run's batch; `settleRuns` runs them
 * for every run of a batch at once.
 */

/**
 * The UPDATE that counts satisfied dependencies: `counts` is a relation of (k: step key,
 * n: how many of its dependencies finished), `runId` and `from` SQL for the run and the
 * release guard. A step whose last dependencies these are becomes queued, due now.
 */
export function releaseDependents(counts: string, runId: string, from: string): string {
  return `update orchestration_steps s
            set ${releaseAssignments(`${counts}.n`)}
           from ${counts}
          where s.run_id = ${runId} and s.step_key = ${counts}.k and s.status = any(${from})
          returning s.step_key, s.status`;
}

/**
 * The SET list of a release: `n` (SQL) more of the step's dependencies finished; when they
 * were its last, it becomes queued, due now. Shared by both release statements.
 */
function releaseAssignments(n: string): string {
  return `deps_remaining = s.deps_remaining - ${n},
                status = case when s.deps_remaining = ${n} then 'queued' else s.status end,
                queued_at = case when s.deps_remaining = ${n} then now() else s.queued_at end,
                available_at = case when s.deps_remaining = ${n} then now() else s.available_at end,
                updated_at = now()`;
}

/**
 * The UPDATE that adds `done` finished steps to the run's counter, after the release `rel`
 * of the same statement: the one-time filter on `rel` makes it wait for the release, so the
 * step rows are locked before the run row. `when`: a further condition, SQL.
 */
export function countDone(runId: string, done: string, when = 'true'): string {
  return `update orchestration_runs set steps_done = steps_done + ${done}, updated_at = now()
          where id = ${runId} and (select count(*) from rel) >= 0 and ${when}
          returning steps_done, steps_total, status`;
}

/**
 * `StepRepository.settleRuns`'s statement. $1/$2: (run, dependent key) pairs, one per
 * satisfied dependency; $3: the release's from statuses; $4/$5: (run, steps done) per run;
 * $6: the release's to statuses. The dependents are locked in (run, key) order (rows are
 * locked after the sort), then the runs in id order once the release is done (a one-time
 * filter), so concurrent batches over the same runs never wait on each other in a circle.
 */
export const SETTLE_RUNS_SQL = `with d as (
     select r, k, count(*)::int as n from unnest($1::uuid[], $2::text[]) as x(r, k) group by r, k
   ), due as (
     select s.id, d.n from orchestration_steps s
       join d on s.run_id = d.r and s.step_key = d.k
      where s.status = any($3::text[])
      order by s.run_id, s.step_key
        for update of s
   ), rel as (
     update orchestration_steps s
        set ${releaseAssignments('due.n')}
       from due
      where s.id = due.id and s.status = any($3::text[])
      returning s.run_id, s.step_key, s.status
   ), c as (
     select run_id, done from unnest($4::uuid[], $5::int[]) as c(run_id, done)
   ), held as (
     select r.id, c.done from orchestration_runs r
       join c on c.run_id = r.id
      where (select count(*) from rel) >= 0
      order by r.id
        for no key update of r
   ), counted as (
     update orchestration_runs r set steps_done = r.steps_done + held.done, updated_at = now()
       from held
      where r.id = held.id
      returning r.id, r.steps_done, r.steps_total, r.status
   )
   select c.run_id::text as run_id,
          coalesce((select array_agg(rel.step_key) from rel where rel.run_id = c.run_id and rel.status = any($6::text[])), '{}') as queued,
          n.steps_done, n.steps_total, n.status
     from c left join counted n on n.id = c.run_id`;
