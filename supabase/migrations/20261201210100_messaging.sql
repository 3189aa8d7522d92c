-- The hub as communication bus (issue 14): agents send messages to each other through Baton.
-- Every accepted message is a row in `messages` written in the same transaction as its
-- deliveries (one row per recipient inbox) and its nonce, so a crash between "logged" and
-- "delivered" cannot lose a message: there is no moment when one exists without the other.
-- Refused messages (policy denials) are logged too, with their reason and no deliveries.

-- Message types: a JSON Schema per (name, version); versions are immutable.
create table message_types (
  name text not null,
  version integer not null,
  schema jsonb not null,
  description text,
  created_by text not null,
  created_at timestamptz not null default now(),
  constraint message_types_pkey primary key (name, version),
  constraint message_types_version_check check (version > 0)
);

create table messages (
  id uuid not null default gen_random_uuid(),
  -- The caller's identity (an API token's name), set by the server, never from the body.
  sender text not null,
  kind text not null,
  type_name text not null,
  type_version integer not null,
  target_agent text,
  target_topic text,
  payload jsonb not null,
  nonce text not null,
  correlation_id text,
  reply_to text,
  run_id uuid,
  expires_at timestamptz,
  status text not null default 'accepted',
  deny_reason text,
  -- A request is answered once: by a reply or by Baton's timeout reply, whichever lands first.
  answered_at timestamptz,
  answered_by text,
  created_at timestamptz not null default now(),
  constraint messages_pkey primary key (id),
  constraint messages_kind_check check (kind in ('request', 'event', 'reply')),
  constraint messages_status_check check (status in ('accepted', 'denied')),
  constraint messages_target_check check ((target_agent is null) <> (target_topic is null))
);

create index messages_created_idx on messages (created_at desc, id desc);
-- The timeout sweeper's scan: requests still unanswered, by deadline.
create index messages_open_requests_idx on messages (expires_at)
  where kind = 'request' and status = 'accepted' and answered_at is null and expires_at is not null;

-- One row per (message, recipient): exactly one entry per inbox, however often routing runs.
create table message_deliveries (
  id uuid not null default gen_random_uuid(),
  message_id uuid not null,
  recipient text not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  lease_expires_at timestamptz,
  expires_at timestamptz,
  acked_at timestamptz,
  created_at timestamptz not null default now(),
  position bigint generated always as identity,
  constraint message_deliveries_pkey primary key (id),
  constraint message_deliveries_message_fkey foreign key (message_id) references messages (id) on delete cascade,
  constraint message_deliveries_once unique (message_id, recipient),
  constraint message_deliveries_status_check check (status in ('pending', 'leased', 'acked', 'expired', 'dead'))
);

-- The inbox claim scan: a recipient's open deliveries in arrival order.
create index message_deliveries_inbox_idx on message_deliveries (recipient, position)
  where status in ('pending', 'leased');

-- Replay protection: a (sender, nonce) seen inside the replay window is refused. In Postgres,
-- so it holds across restarts and instances; rows older than the window are pruned.
create table message_nonces (
  sender text not null,
  nonce text not null,
  seen_at timestamptz not null default now(),
  constraint message_nonces_pkey primary key (sender, nonce)
);
create index message_nonces_seen_idx on message_nonces (seen_at);

create table topic_subscriptions (
  topic text not null,
  agent text not null,
  created_at timestamptz not null default now(),
  constraint topic_subscriptions_pkey primary key (topic, agent)
);

-- Events from outside (and agents' `event` messages): stored durably, idempotent by key.
create table external_events (
  id uuid not null default gen_random_uuid(),
  event_key text not null,
  name text not null,
  data jsonb not null,
  source text not null,
  created_at timestamptz not null default now(),
  position bigint generated always as identity,
  constraint external_events_pkey primary key (id),
  constraint external_events_key_unique unique (event_key)
);
create index external_events_name_idx on external_events (name, position desc);
create index external_events_position_idx on external_events (position desc);
