import { BatonError } from '@baton/common';
import { parseScheduleInput } from './schedule-input.js';

const plan = { steps: [{ id: 'a', agent: 'builtin:echo' }] };
const pathsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    return ((error as BatonError).details as { path: string }[]).map((d) => d.path).sort();
  }
  return [];
};

describe('schedule input', () => {
  it('fills the defaults and reads interval durations', () => {
    const input = parseScheduleInput({ name: 'every-15', plan, interval: '15m' });
    expect(input).toMatchObject({ timing: { intervalSeconds: 900 }, timezone: 'UTC', overlap: 'skip', dst: 'run_once', catchupWindowSeconds: 60, jitterSeconds: 0, pauseOnFailure: false });
  });

  it('takes a definition by name or reference', () => {
    expect(parseScheduleInput({ name: 'a', definition: 'report', cron: '0 * * * *' }).target).toEqual({ definition: { name: 'report' } });
    expect(parseScheduleInput({ name: 'a', definition: { name: 'report', version: 2 }, cron: '0 * * * *' }).target).toEqual({ definition: { name: 'report', version: '2' } });
  });

  it('names fields under the prefix the bootstrap file gives', () => {
    expect(pathsOf(() => parseScheduleInput({ name: 'x', plan, cron: '0 * * * *', at: '2026-01-01T00:00:00Z', timezone: 'Nowhere/Else' }, 'schedules[3]'))).toEqual([
      'schedules[3].at',
      'schedules[3].timezone',
    ]);
  });

  it('refuses an end before the start, a date without an offset and a bad interval', () => {
    expect(pathsOf(() => parseScheduleInput({ name: 'x', plan, interval: '5 minutes', start_at: '2026-02-01T00:00:00Z', end_at: '2026-01-01T00:00:00Z' }))).toEqual(['end_at', 'interval']);
    expect(pathsOf(() => parseScheduleInput({ name: 'x', plan, at: '2026-02-01T10:00:00' }))).toEqual(['at']);
  });

  it('keeps the stored values a PATCH does not give', () => {
    const base = parseScheduleInput({ name: 'x', plan, cron: '0 9 * * *', timezone: 'Europe/Paris', overlap: 'buffer_all', note: 'kept' });
    const patched = parseScheduleInput({ cron: '0 10 * * *' }, '', base);
    expect(patched).toMatchObject({ name: 'x', target: { plan }, timing: { cron: '0 10 * * *' }, timezone: 'Europe/Paris', overlap: 'buffer_all', note: 'kept' });
  });
});
