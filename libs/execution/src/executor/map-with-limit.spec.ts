import { mapWithLimit } from './map-with-limit.js';

describe('mapWithLimit', () => {
  it('keeps the order of results with calls in flight together', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapWithLimit([30, 5, 20, 1, 10], 3, async (ms, index) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      return index * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(most).toBe(3);
  });

  it('starts no new call after one failed', async () => {
    const started: number[] = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    await expect(
      mapWithLimit(items, 2, async (item) => {
        started.push(item);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (item === 3) throw new Error('stop');
        return item;
      }),
    ).rejects.toThrow('stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Items 0–3 plus at most the one the other worker had already taken.
    expect(started.length).toBeLessThanOrEqual(5);
  });
});
