-- A global, gap-free order over all events for readers of every run (the dashboard stream,
-- webhooks). Identity values are handed out at insert time, so a transaction that commits
-- late can land an event below one already read. Ordering by the writing transaction's id
-- instead, and reading only transactions older than the oldest one still running
-- (pg_snapshot_xmin), gives positions that never appear behind a reader's cursor.
alter table orchestration_events add column tx_id xid8 not null default pg_current_xact_id();

create index orchestration_events_global_order_idx on orchestration_events (tx_id, id);
