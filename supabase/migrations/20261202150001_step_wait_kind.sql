-- Issue 15: a step of a `worker` agent no longer holds its engine slot while a node works
-- on it: it parks as `waiting` and the job's completion wakes it. `wait_kind` tells such a
-- wait ('worker') from a wait for a person, so a decided approval does not leave the run
-- `waiting` because of a step that only waits for a node. Null for the older kinds of wait
-- (a child run is told by `child_run_id`, a person by neither).
alter table orchestration_steps add column wait_kind text;
alter table orchestration_steps add constraint orchestration_steps_wait_kind_check check (wait_kind is null or wait_kind in ('worker'));
