import { matchesEventType, normaliseEventPatterns } from './event-patterns.js';

describe('event patterns', () => {
  it('treats absent, empty and "*" as every event', () => {
    expect(normaliseEventPatterns(undefined).patterns).toEqual(['*']);
    expect(normaliseEventPatterns([]).patterns).toEqual(['*']);
    expect(normaliseEventPatterns(['run.completed', '*']).patterns).toEqual(['*']);
  });

  it('names each bad element by its index', () => {
    const { errors } = normaliseEventPatterns(['run.completed', 'Step Failed', 'step.*', 'step*', 42]);
    expect(errors.map((e) => e.path)).toEqual(['events[1]', 'events[3]', 'events[4]']);
  });

  it('matches exact types and prefix wildcards, nothing else', () => {
    expect(matchesEventType(['run.completed'], 'run.completed')).toBe(true);
    expect(matchesEventType(['run.completed'], 'run.completed_late')).toBe(false);
    expect(matchesEventType(['step.*'], 'step.cache_hit')).toBe(true);
    expect(matchesEventType(['step.*'], 'steps.failed')).toBe(false);
    expect(matchesEventType(['step.*'], 'run.failed')).toBe(false);
    expect(matchesEventType(['*'], 'approval.requested')).toBe(true);
  });
});
