-- Saved and inline workflow definitions. A version is immutable once stored: (owner, name,
-- version) is unique and rows are never updated. `revision` orders versions so "latest" is
-- the most recently stored one, whatever its version string looks like.
create table orchestration_definitions (
  id uuid primary key default gen_random_uuid(),
  owner text not null default '',
  name text not null,
  version text not null,
  revision bigint generated always as identity,
  description text,
  source text not null default 'saved',
  body jsonb not null,
  content_hash text not null,
  step_count integer not null,
  created_at timestamptz not null default now(),
  constraint orchestration_definitions_source_check check (source in ('saved', 'inline')),
  constraint orchestration_definitions_owner_name_version_key unique (owner, name, version)
);

create index orchestration_definitions_latest_idx
  on orchestration_definitions (owner, name, revision desc);
