import { WorkLoop } from './work-loop.js';
import { expectWithinBound } from '@baton/testing';

/** A round that blocks until released, counting how many ran and whether two overlapped. */
function gatedRounds() {
  const state = { rounds: 0, active: 0, overlapped: false, gates: [] as Array<() => void>, started: [] as Array<() => void> };
  let nextStart: Promise<void> = new Promise((resolve) => state.started.push(resolve));
  return {
    state,
    round: async () => {
      state.rounds++;
      state.active++;
      if (state.active > 1) state.overlapped = true;
      state.started.shift()?.();
      await new Promise<void>((resolve) => state.gates.push(resolve));
      state.active--;
      return false;
    },
    /** Resolves when the next round has started. */
    started: () => {
      const p = nextStart;
      nextStart = new Promise((resolve) => state.started.push(resolve));
      return p;
    },
    releaseOne: () => state.gates.shift()?.(),
  };
}

describe('WorkLoop', () => {
  it('folds wake-ups before a round into one round', async () => {
    let rounds = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const loop = new WorkLoop({ name: 't', pollMs: 60_000, round: async () => { rounds++; finished(); return false; } });
    loop.start(); // itself a wake-up
    for (let i = 0; i < 10; i++) loop.wake();
    await done;
    await loop.stop();
    expect(rounds).toBe(1);
  });

  it('runs exactly one more round for any number of wake-ups during a round, never two at once', async () => {
    const gated = gatedRounds();
    const loop = new WorkLoop({ name: 't', pollMs: 60_000, round: gated.round });
    const first = gated.started();
    loop.start();
    await first;
    for (let i = 0; i < 5; i++) loop.wake();
    const second = gated.started();
    gated.releaseOne();
    await second;
    gated.releaseOne();
    await loop.stop();
    expect(gated.state.rounds).toBe(2);
    expect(gated.state.overlapped).toBe(false);
  });

  it('goes again at once while a round reports more work', async () => {
    let left = 3;
    const loop = new WorkLoop({ name: 't', pollMs: 60_000, round: async () => --left > 0 });
    loop.start();
    while (left > 0) await new Promise((resolve) => setImmediate(resolve));
    await loop.stop();
    expect(left).toBe(0);
  });

  it('wakes at a due time, keeping the earliest one', async () => {
    const at: number[] = [];
    let woke!: () => void;
    const due = new Promise<void>((resolve) => (woke = resolve));
    let first = true;
    const loop = new WorkLoop({
      name: 't',
      pollMs: 60_000,
      round: async () => {
        if (first) first = false;
        else { at.push(Date.now()); woke(); }
        return false;
      },
    });
    loop.start();
    const setAt = Date.now();
    loop.dueAt(setAt + 5_000);
    loop.dueAt(setAt + 30);
    loop.dueAt(setAt + 10_000);
    await due;
    await loop.stop();
    expect(at[0]! - setAt).toBeGreaterThanOrEqual(25);
    expectWithinBound('the earliest due time (30 ms) waking the loop', at[0]! - setAt, 4_000);
  });

  it('has no poll of its own with pollMs 0: only wake-ups make rounds', async () => {
    let rounds = 0;
    const loop = new WorkLoop({ name: 't', pollMs: 0, round: async () => { rounds++; return false; } });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rounds).toBe(1);
    loop.wake();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await loop.stop();
    expect(rounds).toBe(2);
  });

  it('remembers later due times and wakes at each of them, once', async () => {
    const at: number[] = [];
    let rounds = 0;
    let woke!: () => void;
    let startRoundDone!: () => void;
    const twice = new Promise<void>((resolve) => (woke = resolve));
    const started = new Promise<void>((resolve) => (startRoundDone = resolve));
    const loop = new WorkLoop({
      name: 't',
      pollMs: 60_000,
      round: async () => {
        if (rounds++ === 0) startRoundDone();
        else at.push(Date.now());
        if (at.length === 2) woke();
        return false;
      },
    });
    loop.start();
    // The start's own round first, so every round counted below is a due time's.
    await started;
    await new Promise((resolve) => setImmediate(resolve));
    const setAt = Date.now();
    loop.dueAt(setAt + 40);
    loop.dueAt(setAt + 200);
    await twice;
    await loop.stop();
    // Each round at or after its own time: a timer firing a little early (libuv's cached
    // clock) neither wakes the loop before the time nor makes a second round for it.
    expect(at[0]! - setAt).toBeGreaterThanOrEqual(40);
    expect(at[1]! - setAt).toBeGreaterThanOrEqual(200);
  });

  it('waits at stop for the round under way and runs no round after it', async () => {
    const gated = gatedRounds();
    const loop = new WorkLoop({ name: 't', pollMs: 60_000, round: gated.round });
    const first = gated.started();
    loop.start();
    await first;
    loop.wake();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    gated.releaseOne();
    await stopping;
    loop.wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gated.state.rounds).toBe(1);
  });

  it('reports a failed round and keeps serving wake-ups', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    let second!: () => void;
    const again = new Promise<void>((resolve) => (second = resolve));
    const loop = new WorkLoop({
      name: 't',
      pollMs: 60_000,
      onError: (e) => errors.push(e),
      round: async () => {
        if (++calls === 1) throw new Error('database down');
        second();
        return false;
      },
    });
    loop.start();
    while (errors.length === 0) await new Promise((resolve) => setImmediate(resolve));
    loop.wake();
    await again;
    await loop.stop();
    expect((errors[0] as Error).message).toBe('database down');
    expect(calls).toBe(2);
  });
});
