import { fireTimesBetween, jitterMs, nextFireTime, nextFireTimes, type FireSpec } from './fire-times.js';
import { instantsOf } from './zoned-time.js';

const paris = (cron: string, dst: FireSpec['dst']): FireSpec => ({
  cron,
  timezone: 'Europe/Paris',
  dst,
  anchor: new Date('2026-01-01T00:00:00Z'),
});
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('fire times in a zone', () => {
  it('fires at the local time in winter and in summer', () => {
    const spec = paris('0 9 * * *', 'run_once');
    expect(nextFireTime(spec, new Date('2026-01-15T00:00:00Z'))!.toISOString()).toBe('2026-01-15T08:00:00.000Z');
    expect(nextFireTime(spec, new Date('2026-07-15T00:00:00Z'))!.toISOString()).toBe('2026-07-15T07:00:00.000Z');
  });

  it('knows that 02:30 does not exist in Paris on 29 March 2026 and happens twice on 25 October', () => {
    expect(instantsOf('Europe/Paris', Date.UTC(2026, 2, 29, 2, 30))).toEqual([]);
    expect(instantsOf('Europe/Paris', Date.UTC(2026, 9, 25, 2, 30)).map((t) => new Date(t).toISOString())).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
  });

  describe('spring forward (02:00 → 03:00, 29 March 2026)', () => {
    const after = new Date('2026-03-28T12:00:00Z');
    it('skip: the missing 02:30 does not fire that day', () => {
      expect(iso(nextFireTimes(paris('30 2 * * *', 'skip'), after, 2))).toEqual([
        '2026-03-30T00:30:00.000Z',
        '2026-03-31T00:30:00.000Z',
      ]);
    });
    it('run_once: the missing 02:30 fires once at 03:30 local', () => {
      expect(iso(nextFireTimes(paris('30 2 * * *', 'run_once'), after, 2))).toEqual([
        '2026-03-29T01:30:00.000Z',
        '2026-03-30T00:30:00.000Z',
      ]);
    });
    it('run_twice: a missing time still fires only once', () => {
      expect(iso(nextFireTimes(paris('30 2 * * *', 'run_twice'), after, 1))).toEqual(['2026-03-29T01:30:00.000Z']);
    });
  });

  describe('fall back (03:00 → 02:00, 25 October 2026)', () => {
    const after = new Date('2026-10-24T12:00:00Z');
    it('run_once: the repeated 02:30 fires at its first occurrence only', () => {
      expect(iso(nextFireTimes(paris('30 2 * * *', 'run_once'), after, 2))).toEqual([
        '2026-10-25T00:30:00.000Z',
        '2026-10-26T01:30:00.000Z',
      ]);
    });
    it('skip: the repeated 02:30 fires once too', () => {
      expect(iso(nextFireTimes(paris('30 2 * * *', 'skip'), after, 1))).toEqual(['2026-10-25T00:30:00.000Z']);
    });
    it('run_twice: the repeated 02:30 fires at both instants', () => {
      expect(iso(nextFireTimes(paris('30 2 * * *', 'run_twice'), after, 3))).toEqual([
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-26T01:30:00.000Z',
      ]);
    });
    it('run_twice: a quarter-hourly pattern covers the repeated hour, strictly increasing', () => {
      const times = iso(nextFireTimes(paris('*/30 * * * *', 'run_twice'), new Date('2026-10-24T23:45:00Z'), 5));
      expect(times).toEqual([
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-25T02:00:00.000Z',
      ]);
    });
    it('run_once: a half-hourly pattern does not repeat the hour', () => {
      const times = iso(nextFireTimes(paris('*/30 * * * *', 'run_once'), new Date('2026-10-24T23:45:00Z'), 3));
      expect(times).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T02:00:00.000Z']);
    });
  });

  it('counts intervals from the anchor and respects start_at and end_at', () => {
    const spec: FireSpec = {
      intervalSeconds: 600,
      timezone: 'UTC',
      dst: 'run_once',
      anchor: new Date('2026-01-01T00:00:00Z'),
      endAt: new Date('2026-01-01T00:20:00Z'),
    };
    expect(iso(nextFireTimes(spec, new Date('2026-01-01T00:05:00Z'), 5))).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:20:00.000Z',
    ]);
    const bounded = { ...paris('0 * * * *', 'run_once'), startAt: new Date('2026-05-01T10:00:00Z') };
    expect(nextFireTime(bounded, new Date('2026-01-01T00:00:00Z'))!.toISOString()).toBe('2026-05-01T10:00:00.000Z');
  });

  it('fires an `at` schedule once', () => {
    const spec: FireSpec = { at: new Date('2026-02-01T10:00:00Z'), timezone: 'UTC', dst: 'run_once', anchor: new Date(0) };
    expect(nextFireTime(spec, new Date('2026-01-01T00:00:00Z'))!.toISOString()).toBe('2026-02-01T10:00:00.000Z');
    expect(nextFireTime(spec, new Date('2026-02-01T10:00:00Z'))).toBeNull();
  });

  it('lists the fire times of a backfill range, inclusive', () => {
    const times = fireTimesBetween(paris('0 12 * * *', 'run_once'), new Date('2026-01-01T11:00:00Z'), new Date('2026-01-03T11:00:00Z'), 10);
    expect(iso(times)).toEqual(['2026-01-01T11:00:00.000Z', '2026-01-02T11:00:00.000Z', '2026-01-03T11:00:00.000Z']);
  });

  it('jitters each fire by a stable amount below the bound', () => {
    const time = new Date('2026-01-01T00:00:00Z');
    const a = jitterMs('s1', time, 30);
    expect(a).toBe(jitterMs('s1', time, 30));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(30_000);
    expect(jitterMs('s1', time, 0)).toBe(0);
  });
});
