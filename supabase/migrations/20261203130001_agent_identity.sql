-- Agent identities (issue 13).
--
-- 1. An API token may be bound to one registered agent (`agent`): its holder is that agent,
--    Cedar sees `Baton::Agent::"<name>"` with role agent, and what it sends is recorded as the
--    agent's. Not a foreign key: the registry and identity are separate libraries, and
--    deleting an agent must not delete the audit trail of its tokens (they stop working
--    once revoked, like any token).
-- 2. `signing_keys`: the Ed25519 keys Baton signs agent call tokens with. Every key that
--    signed (generated here, or given by BATON_SIGNING_KEY) is recorded with its public JWK so
--    the JWKS keeps a replaced key for a while (`retired_at`), letting agents verify tokens
--    signed just before a rotation. `private_key` is set only for generated keys, encrypted
--    (`enc:v1:`) when BATON_SECRET_KEY is set. A rotation publishes the new key first and
--    signs with it from `activates_at` on (agents' cached JWKS learn it meanwhile); the old key
--    is retired at that moment. At most one generated key has no retirement set: the partial
--    unique index makes two instances starting (or rotating) at once agree on one.
alter table api_tokens add column agent text;
create index api_tokens_agent_idx on api_tokens (agent) where agent is not null;

create table signing_keys (
  kid text not null,
  public_jwk jsonb not null,
  private_key text,
  source text not null,
  created_at timestamptz not null default now(),
  activates_at timestamptz not null default now(),
  retired_at timestamptz,
  constraint signing_keys_pkey primary key (kid),
  constraint signing_keys_source_check check (source in ('generated', 'config')),
  constraint signing_keys_private_check check ((source = 'generated') = (private_key is not null))
);
create unique index signing_keys_one_live_generated_idx on signing_keys ((true)) where source = 'generated' and retired_at is null;

-- On Supabase, PostgREST would serve this table to the project's anon key (private keys!):
-- row-level security without a policy hides every row from roles that do not own the table,
-- and Supabase's client roles lose their privileges. Baton's own connection owns the table,
-- so neither applies to it; on plain Postgres and PGlite the loop finds no such role.
alter table signing_keys enable row level security;
do $$
declare
  client text;
begin
  for client in select rolname from pg_roles where rolname in ('anon', 'authenticated') loop
    execute format('revoke all on table signing_keys from %I', client);
  end loop;
end $$;
