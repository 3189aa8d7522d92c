-- Two indexes that no query reads, paid for on every write of their rows (issue 17; found
-- by counting a chain step's WAL records per relation, docs/performance.md):
-- - orchestration_events (created_at): retention finds its runs through the partial index on
--   terminal events; readers go by (run_id, seq) or (tx_id, id). Two entries a chain step.
-- - orchestration_steps (served_by, claimed_at): agents' last use is kept in
--   orchestration_agent_claims, and running counts per agent go through the running-steps
--   index. A step's claim and its completion each added an entry: two a step.
drop index if exists orchestration_events_created_idx;
drop index if exists orchestration_steps_served_by_idx;
