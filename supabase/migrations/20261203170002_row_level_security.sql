-- Issue 13, on Supabase: PostgREST serves the `public` schema to anyone holding the project's
-- anon key, and Supabase's default privileges give `anon` and `authenticated` every privilege
-- on new tables there, so without this API token hashes, agent headers and run inputs were a
-- REST call away. Row-level security on every Baton table shuts that door (a role that does
-- not own a table sees no row of it without a policy), Supabase's client roles lose their
-- table privileges, and one read-only role, `baton_dashboard`, gets back its owner's runs,
-- sessions, steps, events and approvals. Baton's own connection owns the tables (or is a
-- superuser), so row-level security does not apply to it: no table uses FORCE.

-- The owner a PostgREST request speaks for: the `baton_owner` claim of its JWT, at the top
-- level (a custom access token hook, or a JWT signed for a dashboard) or in `app_metadata`
-- (which only the service role can write; `user_metadata` is the user's own and is ignored).
-- Null outside PostgREST, where the setting is unset, so the policies below match nothing.
create function baton_jwt_owner() returns text
  language sql stable
  as $$
    select coalesce(claims ->> 'baton_owner', claims -> 'app_metadata' ->> 'baton_owner')
    from (select nullif(current_setting('request.jwt.claims', true), '')::jsonb as claims) as request
  $$;

do $$
declare
  tables text[] := array[
    'baton_migrations', 'orchestration_definitions', 'agents', 'orchestration_runs', 'orchestration_sessions',
    'orchestration_steps', 'orchestration_event_streams', 'orchestration_events', 'orchestration_step_cache',
    'webhook_subscriptions', 'webhook_deliveries', 'webhook_dispatch_cursor', 'api_tokens', 'human_approvals',
    'webhook_destinations', 'event_consumer_cursors', 'schedules', 'schedule_fires', 'worker_nodes',
    'worker_jobs', 'baton_system_state', 'baton_system_events', 'policy_versions', 'policy_activations',
    'message_types', 'messages', 'message_deliveries', 'message_nonces', 'topic_subscriptions',
    'external_events', 'event_waits', 'orchestration_step_iterations', 'orchestration_pattern_turns',
    'orchestration_pattern_threads', 'orchestration_custom_patterns', 'run_budgets', 'run_step_usage',
    'run_budget_holds', 'node_registration_tokens', 'inbox_endpoints', 'event_trigger_runs', 'agent_breakers',
    'agent_events', 'orchestration_compensations', 'workflows', 'workflow_executions'];
  t text;
  client text;
begin
  -- Listed, not every table of the schema: on Supabase `public` may hold the project's own tables.
  foreach t in array tables loop
    execute format('alter table %I enable row level security', t);
  end loop;
  -- Supabase only. TRUNCATE is not subject to row-level security, hence `all`.
  for client in select rolname from pg_roles where rolname in ('anon', 'authenticated') loop
    foreach t in array tables loop
      execute format('revoke all on table %I from %I', t, client);
    end loop;
  end loop;
end $$;

-- Roles belong to the cluster, not the database: another database's migration may create it
-- between the check and the create. A connection that may not create roles (a plain Postgres
-- user without CREATEROLE) goes without the role rather than without Baton.
do $$
begin
  if not exists (select from pg_roles where rolname = 'baton_dashboard') then
    create role baton_dashboard nologin;
  end if;
exception
  when duplicate_object or unique_violation then null;
  when insufficient_privilege then
    raise warning 'baton_dashboard not created (no CREATEROLE): the dashboard role of docs/security.md is missing';
end $$;

do $$
declare
  readable text := 'orchestration_runs, orchestration_sessions, orchestration_steps, orchestration_events, human_approvals';
begin
  if exists (select from pg_roles where rolname = 'baton_dashboard') then
    execute format('grant usage on schema %I to baton_dashboard', current_schema());
    execute format('grant select on %s to baton_dashboard', readable);
    execute 'grant execute on function baton_jwt_owner() to baton_dashboard';
    -- PostgREST switches to the JWT's `role`: a token with "role": "baton_dashboard" works
    -- once the login role it connects as may become it.
    if exists (select from pg_roles where rolname = 'authenticator') then
      execute 'grant baton_dashboard to authenticator';
    end if;
    if exists (select from pg_roles where rolname = 'authenticated') then
      execute 'grant baton_dashboard to authenticated';
      -- Supabase creates `authenticated` NOINHERIT, so membership alone gives it nothing:
      -- a signed-in user whose app_metadata names an owner reads that owner's rows directly.
      execute format('grant select on %s to authenticated', readable);
    end if;
  end if;
end $$;

-- For every role that may select (privileges decide who reads at all; these decide which rows).
-- `(select baton_jwt_owner())` is evaluated once per statement, not per row.
create policy orchestration_runs_owner_read on orchestration_runs for select
  using (owner = (select baton_jwt_owner()));
create policy orchestration_sessions_owner_read on orchestration_sessions for select
  using (owner = (select baton_jwt_owner()));
create policy orchestration_steps_owner_read on orchestration_steps for select
  using (exists (select 1 from orchestration_runs as run where run.id = run_id and run.owner = (select baton_jwt_owner())));
create policy orchestration_events_owner_read on orchestration_events for select
  using (exists (select 1 from orchestration_runs as run where run.id = run_id and run.owner = (select baton_jwt_owner())));
create policy human_approvals_owner_read on human_approvals for select
  using (exists (select 1 from orchestration_runs as run where run.id = run_id and run.owner = (select baton_jwt_owner())));
