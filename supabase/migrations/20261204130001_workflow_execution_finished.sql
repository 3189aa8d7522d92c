-- An execution known to be finished is not looked at again when `execute` counts the
-- workflow's unfinished executions (coordination.max_concurrent_executions): the count reads
-- only the open links, so it does not grow with the workflow's history.
alter table workflow_executions add column finished_at timestamptz;
create index workflow_executions_open_idx on workflow_executions (workflow_id) where finished_at is null;
