import { RUN_EVENTS, STEP_EVENTS, type EventType, type NewEvent } from './event-types.js';

/**
 * The catalogue is enforced by the compiler: `npm run typecheck` fails if any line marked
 * `@ts-expect-error` below compiles, i.e. if an unknown type or a wrong payload could be emitted.
 */
describe('event catalogue', () => {
  it('refuses an unknown event type and a payload that does not match its type', () => {
    const runId = '00000000-0000-0000-0000-000000000000';
    const ok: NewEvent[] = [
      { runId, type: 'step.cancelled', stepKey: 's', data: { from: 'running', to: 'cancelled' } },
      { runId, type: 'step.cache_hit', stepKey: 's', data: { cacheKey: 'k' } },
    ];
    // @ts-expect-error: not in the catalogue
    const unknownType: NewEvent = { runId, type: 'step.exploded' };
    // @ts-expect-error: a transition event must say where it came from
    const missingFrom: NewEvent = { runId, type: 'step.recovered', data: { to: 'queued' } };
    // @ts-expect-error: step.child_started carries a childRunId, not a cacheKey
    const wrongPayload: NewEvent = { runId, type: 'step.child_started', data: { cacheKey: 'k' } };
    expect([ok.length, unknownType.type, missingFrom.type, wrongPayload.type]).toEqual([2, 'step.exploded', 'step.recovered', 'step.child_started']);
  });

  it('lists every run and step event type in the catalogue', () => {
    const all: readonly EventType[] = [...RUN_EVENTS, ...STEP_EVENTS];
    expect(new Set(all).size).toBe(RUN_EVENTS.length + STEP_EVENTS.length);
  });
});
