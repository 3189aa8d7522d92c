-- Custom patterns (issue 9): a named, parameterised definition registered with
-- POST /api/v1/patterns and used by name from a `type: pattern` step. The steps are stored as
-- a definition (`pattern.<name>`); this row adds what the pattern listing shows and what a
-- step's `settings` are checked against. Versions are immutable, like definitions.
create table orchestration_custom_patterns (
  name text not null,
  version text not null,
  revision bigint generated always as identity,
  description text,
  settings_schema jsonb not null default '{}'::jsonb,
  definition_id uuid not null,
  created_at timestamptz not null default now(),
  constraint orchestration_custom_patterns_pkey primary key (name, version),
  constraint orchestration_custom_patterns_definition_fkey foreign key (definition_id)
    references orchestration_definitions (id)
);

create index orchestration_custom_patterns_latest_idx on orchestration_custom_patterns (name, revision desc);
