-- Issue 17: storing a 10,000-step definition (~700 KB of jsonb) spent about a fifth of its
-- insert compressing the body with pglz. lz4 compresses it several times faster for a
-- slightly larger result. Only new rows use it; stored ones stay readable as they are.
-- Servers built without lz4 (embedded PGlite) keep pglz.
do $$
begin
  alter table orchestration_definitions alter column body set compression lz4;
exception
  when feature_not_supported then
    raise notice 'lz4 is not available here; definition bodies stay compressed with pglz';
end
$$;
