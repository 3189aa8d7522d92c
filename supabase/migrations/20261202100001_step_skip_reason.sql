-- Conditions on steps (issue 9): a step whose `when` is false, or whose dependencies were all
-- skipped by a condition, ends `skipped` without failing its run. The reason is kept apart
-- from `error` (a skip after failures with allow_skip has an error; a condition skip has none)
-- so readers and the dashboard can tell the two apart.
alter table orchestration_steps add column skip_reason text;

alter table orchestration_steps
  add constraint orchestration_steps_skip_reason_check check (skip_reason is null or skip_reason in ('condition'));
