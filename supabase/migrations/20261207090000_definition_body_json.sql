-- Issue 17: a definition's body is stored as `json`, the text as sent (Baton sends its
-- canonical serialization), not `jsonb`. Postgres's jsonb input of a 10,000-step body
-- (~720 KB) was most of the definition POST's insert, and every read turned the jsonb back
-- into text for the client to parse; Baton never queries inside the body except for its
-- triggers, which get a jsonb column of their own for that lookup.
alter table orchestration_definitions add column triggers jsonb;
update orchestration_definitions set triggers = body->'triggers' where body ? 'triggers';
alter table orchestration_definitions alter column body type json using body::json;

-- Changing the type resets the column's compression; lz4 where the server has it, as before.
do $$
begin
  alter table orchestration_definitions alter column body set compression lz4;
exception
  when feature_not_supported then
    raise notice 'lz4 is not available here; definition bodies stay compressed with pglz';
end
$$;
