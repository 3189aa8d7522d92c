-- A2A conversations (issue 11): the tasks of one `contextId` (kept in a run's metadata) are
-- listed newest first, and a follow-up message finds the latest one to link to. Without an
-- index that is a scan of every run.
create index orchestration_runs_context_idx
  on orchestration_runs ((metadata->>'contextId'), created_at desc, id desc)
  where metadata ? 'contextId';
