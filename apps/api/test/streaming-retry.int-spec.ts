import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { openSse } from './support/sse-client.js';

/**
 * A run's SSE stream ends at its terminal event, but a failed run can be retried: a client
 * resuming from `run.failed` must then get the retry and what follows (the dashboard's run
 * page does exactly that after its Retry button), not a 204 "nothing more".
 */
describe.each(testDatabaseKinds())('SSE stream of a retried run on %s', (kind) => {
  const ctx = useTestServer(kind);
  const failOnce = { steps: [{ id: 'flaky', agent: 'builtin:fail', input: { times: 1, retryable: false } }] };

  it('still answers 204 after the terminal event of a run nobody retried', async () => {
    const run = await startPlan(ctx.url, failOnce);
    await waitForRun(ctx.url, run.id, (r) => r.status === 'failed');
    const first = await (await openSse(`${ctx.url}/api/v1/runs/${run.id}/events`)).collect();
    expect(first.frames.at(-1)!.event).toBe('run.failed');
    expect((await openSse(`${ctx.url}/api/v1/runs/${run.id}/events`, { 'last-event-id': first.frames.at(-1)!.id! })).status).toBe(204);
  });

  it('resumes from run.failed into the retry and ends at the retried run’s end', async () => {
    const run = await startPlan(ctx.url, failOnce);
    await waitForRun(ctx.url, run.id, (r) => r.status === 'failed');
    const first = await (await openSse(`${ctx.url}/api/v1/runs/${run.id}/events`)).collect();
    const failedId = first.frames.at(-1)!.id!;

    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/steps/flaky/retry`)).status).toBe(200);
    const resumed = await openSse(`${ctx.url}/api/v1/runs/${run.id}/events`, { 'last-event-id': failedId });
    expect(resumed.status).toBe(200);
    const after = await resumed.collect();
    expect(after.ended).toBe(true);
    expect(after.frames[0]!.event).toBe('run.retried');
    expect(after.frames.at(-1)!.event).toBe('run.completed');

    // From the start, the stream no longer stops at the first run.failed either.
    const whole = await (await openSse(`${ctx.url}/api/v1/runs/${run.id}/events`)).collect();
    expect(whole.frames.map((f) => f.event)).toEqual([...first.frames.map((f) => f.event), ...after.frames.map((f) => f.event)]);
  });
});
