-- Issue 12: dead letters. GET /api/v1/steps?status=failed lists failed steps across runs,
-- newest first, keyset-paged on (updated_at, id); without this index it scans every step.
create index orchestration_steps_failed_idx on orchestration_steps (updated_at desc, id desc)
  where status = 'failed';
