-- Issue 17: `wait_kind` ('worker', issue 15) and `wait_reason` ('breaker_open', issue 12) were one
-- idea stored twice: why a waiting step waits, beyond what `child_run_id` says. `wait_reason` now
-- holds both; `wait_kind` goes. A step still waiting for a worker node keeps that reason; on
-- steps that are no longer waiting, `wait_kind` was a stale leftover (never cleared on a claim)
-- and is dropped with the column. Null still means a wait for a person or an event.
update orchestration_steps set wait_reason = 'worker'
 where status = 'waiting' and wait_kind = 'worker' and wait_reason is null;

alter table orchestration_steps drop constraint orchestration_steps_wait_kind_check;
alter table orchestration_steps drop column wait_kind;

alter table orchestration_steps add constraint orchestration_steps_wait_reason_check
  check (wait_reason is null or wait_reason in ('worker', 'breaker_open'));
