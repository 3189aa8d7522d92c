-- Cedar policy sets, versioned (issue 13). A version is immutable: its text and the SHA-256
-- of that text never change, and one text is stored once (posting it again finds the same
-- version). Which version is active is an append-only log of activations, so a rollback is
-- one more activation and the history of who activated what stays readable. A null
-- `version_id` activates the default policy set shipped in the repository.
create table policy_versions (
  id uuid primary key default gen_random_uuid(),
  version bigint generated always as identity,
  hash text not null,
  body text not null,
  source text not null,
  description text,
  created_by text,
  created_at timestamptz not null default now(),
  constraint policy_versions_version_key unique (version),
  constraint policy_versions_hash_key unique (hash),
  constraint policy_versions_source_check check (source in ('api', 'file'))
);

create table policy_activations (
  id bigint generated always as identity primary key,
  version_id uuid references policy_versions (id),
  activated_by text,
  activated_at timestamptz not null default now()
);
-- "Which version is active" is the newest activation: the primary key's index, read backwards.
