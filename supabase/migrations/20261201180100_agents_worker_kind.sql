-- Issue 15: agents of kind `worker` are served by worker nodes that pull their jobs
-- (libs/nodes), so they have no url. Widen the kind check to allow them.
alter table agents drop constraint agents_kind_check;
alter table agents add constraint agents_kind_check check (kind in ('http', 'a2a', 'builtin', 'worker'));
