import { DatabaseHealth, isConnectionError, isDatabaseUnavailable, markDatabaseUnavailable } from './database-health.js';

describe('database health', () => {
  it('tells a lost connection from a bad statement', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    expect(['57P01', '57P02', '57P03', '08006', '08001', 'ECONNREFUSED', 'ECONNRESET'].map((c) => isConnectionError(coded(c)))).toEqual(
      Array(7).fill(true),
    );
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('fetch failed'), { cause: coded('ECONNREFUSED') }))).toBe(true);
    expect(['23505', '40001', '42P01', '57014'].map((c) => isConnectionError(coded(c)))).toEqual([false, false, false, false]);
    expect(isConnectionError(new Error('syntax error'))).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });

  it('records outages with their start, and wakes waiters when connected again', async () => {
    const health = new DatabaseHealth();
    const changes: string[] = [];
    health.onChange((s) => changes.push(s.state));
    expect(health.markDisconnected(new Error('refused'))).toBe(true);
    expect(health.markDisconnected(new Error('still refused'))).toBe(false);
    expect(health.snapshot()).toMatchObject({ state: 'disconnected', lastError: 'still refused', outages: 1 });
    let woken = false;
    const waiting = health.whenConnected().then(() => (woken = true));
    await Promise.resolve();
    expect(woken).toBe(false);
    expect(health.markConnected()).toBe(true);
    await waiting;
    expect(woken).toBe(true);
    expect(changes).toEqual(['disconnected', 'connected']);
    expect(health.snapshot()).toMatchObject({ state: 'connected', lastError: null, outages: 1 });
  });

  it('stops waiting when the signal aborts', async () => {
    const health = new DatabaseHealth();
    health.markDisconnected(new Error('down'));
    const abort = new AbortController();
    const waiting = health.whenConnected(abort.signal);
    abort.abort();
    await expect(waiting).resolves.toBeUndefined();
    expect(health.connected).toBe(false);
  });

  it('calls an error "database unavailable" only when the database layer tagged it', () => {
    // An agent that refuses connections says ECONNREFUSED too: that is the step's failure.
    const agentDown = Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(isDatabaseUnavailable(agentDown)).toBe(false);
    const lost = new Error('Connection terminated unexpectedly');
    markDatabaseUnavailable(lost);
    expect(isDatabaseUnavailable(lost)).toBe(true);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
