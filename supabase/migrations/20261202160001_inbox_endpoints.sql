-- Push delivery for the agent bus (issue 14). An agent that can be reached registers its inbox
-- URL; its entries in message_deliveries are then pushed (a signed POST, like webhooks) by a
-- worker that leases them exactly as a pull does, so a push agent is a pull agent whose puller
-- is Baton: one outbox, one lease, one dead-letter rule. A failed push keeps its lease until
-- its backoff ends; `last_error` says why, for the message log. Instead of a URL an inbox may
-- name a registered A2A agent (`a2a_agent`): its mail then goes as A2A messages to that agent.
create table inbox_endpoints (
  agent text not null,
  url text,
  a2a_agent text,
  secret text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint inbox_endpoints_pkey primary key (agent),
  constraint inbox_endpoints_target_check check ((url is null) <> (a2a_agent is null))
);

alter table message_deliveries add column last_error text;
