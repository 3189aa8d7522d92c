-- A run's queued steps in the order a claim takes them (issue 17): the hand-off's candidates
-- are the first few queued steps of each run it holds, read by an index range scan per run
-- instead of ranking every queued step of those runs; "has this run a due step" is the
-- first entry of the same range.
create index orchestration_steps_run_queue_idx on orchestration_steps (run_id, available_at, position) where status = 'queued';
