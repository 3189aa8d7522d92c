-- Issue 15: node registration tokens beyond the one in BATON_NODE_REGISTRATION_TOKEN,
-- seeded from the bootstrap file by name (so a pool of GPU nodes and a pool of CPU nodes
-- can hold different secrets, and one can be rotated alone). Only a SHA-256 of each token
-- is stored; `labels` are added to the labels of every node registering with it.
create table node_registration_tokens (
  name text not null,
  token_hash text not null,
  labels jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint node_registration_tokens_pkey primary key (name),
  constraint node_registration_tokens_hash_key unique (token_hash)
);
