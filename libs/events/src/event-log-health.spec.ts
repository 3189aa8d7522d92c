import { EventLogHealth, isEventLogFailure } from './event-log-health.js';

const sqlError = (code: string | undefined, message = `failed with ${code}`) => Object.assign(new Error(message), { code });

describe('EventLogHealth', () => {
  it('counts the log refusing writes (missing table, privileges, a raising trigger, a full disk) and tags the error', () => {
    for (const code of ['42P01', '42501', 'P0001', '53100', '25006']) {
      const health = new EventLogHealth();
      const error = sqlError(code);
      expect(health.reportFailure(error)).toBe(true);
      expect(health.failure?.message).toBe(`failed with ${code}`);
      expect(isEventLogFailure(error)).toBe(true);
    }
  });

  it('ignores failures of the data or of the moment: bad input, lost races, limits, cancels, non-SQL errors', () => {
    const health = new EventLogHealth();
    for (const code of ['22P05', '22021', '40001', '40P01', '54000', '57014', undefined]) {
      const error = sqlError(code);
      expect(health.reportFailure(error)).toBe(false);
      expect(isEventLogFailure(error)).toBe(false);
    }
    expect(health.failure).toBeNull();
  });

  it('tells listeners when it starts failing, when the failure changes, and when it works again', () => {
    const health = new EventLogHealth();
    const seen: Array<string | null> = [];
    health.onChange((failure) => seen.push(failure?.message ?? null));
    health.reportFailure(sqlError('P0001', 'disk full'));
    health.reportFailure(sqlError('P0001', 'disk full'));
    const since = health.failure!.since;
    health.reportFailure(sqlError('42P01', 'relation gone'));
    expect(health.failure!.since).toBe(since);
    health.reportSuccess();
    health.reportSuccess();
    expect(seen).toEqual(['disk full', 'relation gone', null]);
  });
});
