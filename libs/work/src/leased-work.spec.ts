import { LeasedWork } from './leased-work.js';

/** Work that runs until aborted (or released by the test) and reports why it stopped. */
function untilAborted(signal: AbortSignal, finish?: Promise<void>): Promise<string> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve(String(signal.reason)));
    void finish?.then(() => resolve('finished'));
  });
}

describe('LeasedWork', () => {
  it('aborts with lease_lost exactly the items whose lease was not renewed', async () => {
    const held = new Set(['a']);
    const work = new LeasedWork<string>({ renew: async (ids) => new Set(ids.filter((id) => held.has(id))), release: async () => undefined, renewEveryMs: 60_000 });
    const a = work.run('a', 'A', (signal) => untilAborted(signal));
    const b = work.run('b', 'B', (signal) => untilAborted(signal));
    expect(await work.renewNow()).toBe(1);
    expect(await b).toBe('lease_lost');
    expect(work.size).toBe(1);
    await work.shutdown(0);
    expect(await a).toBe('shutdown');
  });

  it('keeps every lease when a renewal fails (an outage is not a lost lease)', async () => {
    const errors: unknown[] = [];
    const work = new LeasedWork<string>({
      renew: async () => { throw new Error('connection refused'); },
      release: async () => undefined,
      renewEveryMs: 60_000,
      onError: (e) => errors.push(e),
    });
    let aborted = false;
    void work.run('a', 'A', (signal) => untilAborted(signal).then((r) => { aborted = r !== 'shutdown'; }));
    expect(await work.renewNow()).toBeNull();
    expect(errors).toHaveLength(1);
    await work.shutdown(0);
    expect(aborted).toBe(false);
  });

  it('lets work finish within the grace, then aborts and releases the rest at shutdown', async () => {
    const released: string[] = [];
    const work = new LeasedWork<string>({ renew: async (ids) => new Set(ids), release: async (item) => released.push(item), renewEveryMs: 60_000 });
    let finishQuick!: () => void;
    const quick = work.run('q', 'quick', (signal) => untilAborted(signal, new Promise((resolve) => (finishQuick = resolve))));
    const slow = work.run('s', 'slow', (signal) => untilAborted(signal));
    const shutting = work.shutdown(50);
    finishQuick();
    expect(await quick).toBe('finished');
    expect(await shutting).toBe(1);
    expect(await slow).toBe('shutdown');
    expect(released).toEqual(['slow']);
  });

  it('aborts the in-flight items that match, and only those', async () => {
    const work = new LeasedWork<{ runId: string }>({ renew: async (ids) => new Set(ids), release: async () => undefined, renewEveryMs: 60_000 });
    const a = work.run('a', { runId: 'r1' }, (signal) => untilAborted(signal));
    void work.run('b', { runId: 'r2' }, (signal) => untilAborted(signal));
    expect(work.abortWhere((item) => item.runId === 'r1', 'run_stopped')).toBe(1);
    expect(await a).toBe('run_stopped');
    expect(work.size).toBe(1);
    await work.shutdown(0);
  });
});
