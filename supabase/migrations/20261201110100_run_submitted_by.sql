-- Who submitted a run, recorded by the server (issue 8). A2A ownership (an agent may read,
-- continue and cancel only the tasks it submitted) was read from the run's `metadata`, which
-- the client writes, so an agent could claim another's run. The API token's id goes here
-- instead, out of the client's reach; null for runs started anonymously (auth off), by the
-- engine (child runs) or before this column existed. No foreign key: tokens belong to the
-- identity context, and a revoked token's runs keep their submitter.
alter table orchestration_runs add column submitted_by uuid;

-- An agent lists its own tasks, newest first.
create index orchestration_runs_submitted_by_idx
  on orchestration_runs (submitted_by, created_at desc, id desc)
  where submitted_by is not null;
