-- Retention prunes the events of runs whose terminal event is older than a configured age.
-- It looks for terminal events by type and age; this partial index keeps that scan to the
-- few lifecycle rows instead of every step event in the log.
create index orchestration_events_terminal_idx on orchestration_events (created_at, run_id)
  where type in ('run.completed', 'run.failed', 'run.cancelled');
