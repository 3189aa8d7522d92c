-- Issue 12: circuit breakers per agent and the choice of agent for a capability.
-- A failing agent must stop receiving calls from every instance at once, so the breaker's
-- state is a row shared through the database, not process memory. Its transitions are
-- happenings of an agent, not of a run, so they get their own append-only log beside
-- orchestration_events (whose rows are keyed by run), like baton_system_events.
-- Steps learn which agent served them (capability routing picks one at claim time, and its
-- maxConcurrency must count that step), when they were last claimed (least recently used
-- agent first), and why a waiting step waits (a breaker, not a person).
alter table agents
  add column breaker jsonb;

create table agent_breakers (
  agent text primary key,
  state text not null default 'closed',
  consecutive_failures int not null default 0,
  opened_at timestamptz,
  half_open_at timestamptz,
  last_failure jsonb,
  last_failure_at timestamptz,
  last_success_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint agent_breakers_state_check check (state in ('closed', 'open', 'half_open')),
  constraint agent_breakers_failures_check check (consecutive_failures >= 0)
);

create index agent_breakers_half_open_due_idx on agent_breakers (half_open_at) where state = 'open';

create table agent_events (
  id bigint generated always as identity primary key,
  agent text not null,
  type text not null,
  data jsonb not null default '{}',
  instance_id text,
  created_at timestamptz not null default now()
);

create index agent_events_agent_idx on agent_events (agent, created_at desc, id desc);

alter table orchestration_steps
  add column capability text,
  add column served_by text,
  add column claimed_at timestamptz,
  add column wait_reason text,
  add column agent_wait_since timestamptz;

create index orchestration_steps_served_by_idx on orchestration_steps (served_by, claimed_at desc)
  where served_by is not null;

create index orchestration_steps_breaker_parked_idx on orchestration_steps (agent_wait_since)
  where status = 'waiting' and wait_reason = 'breaker_open';
