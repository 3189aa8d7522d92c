import { ItemProgress } from './item-progress.js';

type Report = { total: number; running: number[]; completed: number[]; failed: Array<{ index: number; message: string }> };

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ItemProgress', () => {
  it('reports nothing when the fan-out ends before the first interval', async () => {
    const reports: Report[] = [];
    const progress = new ItemProgress(2, async (r) => void reports.push(r), 200);
    progress.started(0);
    progress.started(1);
    progress.finished(0);
    progress.finished(1);
    await progress.close(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(reports).toEqual([]);
  });

  it('reports finished items once per interval, each report carrying only what finished since the one before', async () => {
    const reports: Report[] = [];
    const progress = new ItemProgress(3, async (r) => void reports.push(r), 30);
    [0, 1, 2].forEach((i) => progress.started(i));
    progress.finished(1);
    await until(() => reports.length === 1);
    expect(reports[0]).toEqual({ total: 3, running: [0, 2], completed: [1], failed: [] });
    progress.finished(0);
    await until(() => reports.length === 2);
    expect(reports[1]).toEqual({ total: 3, running: [2], completed: [0], failed: [] });
    await progress.close(false);
  });

  it('reports a failed item at once and nothing after close', async () => {
    const reports: Report[] = [];
    const progress = new ItemProgress(2, async (r) => void reports.push(r), 10_000);
    progress.started(0);
    progress.started(1);
    progress.finished(0, new Error('boom'));
    await progress.close(true);
    expect(reports).toEqual([{ total: 2, running: [1], completed: [], failed: [{ index: 0, message: 'boom' }] }]);
    progress.finished(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reports).toHaveLength(1);
  });

  it('never throws when a report fails', async () => {
    const progress = new ItemProgress(1, async () => {
      throw new Error('database gone');
    }, 10);
    progress.started(0);
    progress.finished(0, new Error('item failed'));
    await expect(progress.close(true)).resolves.toBeUndefined();
  });
});
