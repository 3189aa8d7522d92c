-- Saga compensation (issue 12): the whole rollback is bounded by
-- SAGA_COMPENSATION_TIMEOUT_SECONDS (or the definition's `rollback.timeout_seconds`). The
-- deadline is written on every compensation of the rollback when it starts, so the sweep of
-- any instance finds it after any restart; the index serves that sweep.
alter table orchestration_compensations add column deadline_at timestamptz;
create index orchestration_compensations_deadline_idx on orchestration_compensations (deadline_at)
  where status in ('pending', 'running', 'escalated') and deadline_at is not null;
