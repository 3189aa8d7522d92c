-- Issue 13, on Supabase: the tables that landed beside the row-level security migration
-- (approval votes, the policy decision log, per-agent last claims, workflow task
-- assignments) get the same protection: row-level security on, and Supabase's client roles
-- without privileges. `signing_keys` enabled it in its own migration. None of them is read
-- by the dashboard role, so no policy: nothing is visible through PostgREST.
do $$
declare
  tables text[] := array['approval_decisions', 'policy_decisions', 'orchestration_agent_claims', 'workflow_task_assignments'];
  t text;
  client text;
begin
  foreach t in array tables loop
    execute format('alter table %I enable row level security', t);
  end loop;
  for client in select rolname from pg_roles where rolname in ('anon', 'authenticated') loop
    foreach t in array tables loop
      execute format('revoke all on table %I from %I', t, client);
    end loop;
  end loop;
end $$;
