-- The agent registry: where a step's work is sent. Names are unique across the hub;
-- `builtin:*` agents live in code and are never stored here.
create table agents (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  kind text not null,
  url text,
  capabilities text[] not null default '{}',
  max_concurrency integer,
  timeout_seconds integer,
  headers jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint agents_name_key unique (name),
  constraint agents_kind_check check (kind in ('http', 'a2a', 'builtin')),
  constraint agents_max_concurrency_check check (max_concurrency is null or max_concurrency > 0),
  constraint agents_timeout_seconds_check check (timeout_seconds is null or timeout_seconds > 0)
);

create index agents_capabilities_idx on agents using gin (capabilities);
