-- Tenancy (issue 13): an API token may be bound to one owner. Its holder then sees and steers
-- only that owner's runs (another owner's run answers 404). Null keeps today's meaning: all
-- owners, as admins and tokens created before this column need.
alter table api_tokens add column owner text;
