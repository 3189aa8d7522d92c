-- An A2A agent's card may name endpoints on another origin than the URL it was registered
-- with. Baton sends the agent's configured headers (its credentials) only to the registered
-- origin, and to the origins listed here: the registration must name them explicitly, so a
-- card cannot send Baton's credentials for the agent anywhere it likes.
alter table agents
  add column trusted_origins text[] not null default '{}'::text[];
