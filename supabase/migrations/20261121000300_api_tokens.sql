-- API tokens: who may call the REST API and A2A, with which role. Only the SHA-256 of each
-- token is kept (tokens are 256 random bits, so a plain hash is enough: there is nothing to
-- brute-force); the token itself is shown once when created. Tokens are revoked, never
-- deleted, so "auth is on" cannot silently flip back to off by revoking the last one.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  role text not null,
  token_hash text not null,
  created_at timestamptz not null default now(),
  -- Refreshed at most once a minute per token, so reads do not turn into a write each.
  last_used_at timestamptz,
  revoked_at timestamptz,
  constraint api_tokens_token_hash_key unique (token_hash),
  constraint api_tokens_role_check check (role in ('viewer', 'agent', 'operator', 'admin')),
  constraint api_tokens_name_check check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$')
);

-- A name picks one live token (`baton token revoke ci`); revoked names may be reused.
create unique index api_tokens_active_name_idx on api_tokens (name) where revoked_at is null;
