-- Issue 12: run limits. A run has a deadline (`timeout_seconds` on the definition or the run,
-- else WORKFLOW_TIMEOUT_HOURS); it lives in the row so that a sweep on any instance, after any
-- restart, cancels the run tree when it passes. Admission (MAX_CONCURRENT_WORKFLOWS): a
-- top-level run is claimable only once admitted; without a limit it is admitted when created,
-- with one the claim admits the oldest waiting runs while fewer than the limit are open.
alter table orchestration_runs
  add column deadline_at timestamptz,
  add column admitted_at timestamptz;

-- Runs that existed before admission control were all admitted.
update orchestration_runs set admitted_at = created_at where admitted_at is null;

create index orchestration_runs_deadline_idx on orchestration_runs (deadline_at)
  where deadline_at is not null and status in ('pending', 'running', 'waiting', 'paused');

create index orchestration_runs_admission_queue_idx on orchestration_runs (created_at, id)
  where admitted_at is null and parent_run_id is null and status = 'pending';
