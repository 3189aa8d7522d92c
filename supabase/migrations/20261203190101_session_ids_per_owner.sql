-- Sessions (issue 13, tenancy): a session id is unique per owner, not hub-wide. With one id
-- space, owner B choosing an id owner A already used got 409 SESSION_ID_TAKEN, which told B
-- the id exists elsewhere (another owner's objects must be indistinguishable from missing)
-- and made caller-chosen ids like "chat-42" collide across tenants. Existing rows keep their
-- ids: unique by id alone means unique by (owner, id) too. The run behind a session keeps the
-- idempotency key `session:<id>`, already unique per owner on `orchestration_runs`.
alter table orchestration_sessions drop constraint orchestration_sessions_pkey;
alter table orchestration_sessions add constraint orchestration_sessions_pkey primary key (owner, id);

-- An all-owner token names a session by id alone: find it (or its namesakes) across owners.
create index orchestration_sessions_id_idx on orchestration_sessions (id);
