import { EventEmitter2 } from '@nestjs/event-emitter';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { EventLogRepository } from '../../../libs/events/src/event-log.repository.js';
import { EventLogService } from '../../../libs/events/src/event-log.service.js';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

const checkpointPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'ok?' } },
  ],
};

/**
 * Reactions that hang on a run's end survive a crash between the run's commit and the
 * in-process listener. The crash is reproduced exactly: the run's end is committed on the
 * same database by "another process" (an event log whose in-process events reach nobody,
 * as when the process that committed dies before its listeners run), so only a durable
 * consumer of the log can notice it.
 */
describe.each(testDatabaseKinds())('durable reactions on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });

  async function pendingApproval(runId: string): Promise<any> {
    await waitForRun(ctx.url, runId, (run) => run.status === 'waiting');
    return waitFor(async () => {
      const list = await http('GET', `${ctx.url}/api/v1/approvals?status=pending&runId=${runId}`);
      return list.body.approvals[0];
    }, { what: `a pending approval in run ${runId}` });
  }

  /** Cancels the run the way RunLifecycleService does, from a process whose listeners never run. */
  async function endRunElsewhere(runId: string): Promise<void> {
    const deadProcessLog = new EventLogService(new EventLogRepository(ctx.database.db), new EventEmitter2());
    await ctx.database.db.transaction(async (tx) => {
      await tx.query(
        `update orchestration_runs set status = 'cancelled', finished_at = now(), updated_at = now() where id = $1::uuid`,
        [runId],
      );
      await tx.query(
        `update orchestration_steps set status = 'cancelled', finished_at = now() where run_id = $1::uuid and status = 'waiting'`,
        [runId],
      );
      await deadProcessLog.append(tx, [
        { runId, type: 'step.cancelled', stepKey: 'review', data: { from: 'waiting', to: 'cancelled' } },
        { runId, type: 'run.cancelled', data: { status: 'cancelled', from: 'waiting', to: 'cancelled', definition: 'inline' } },
      ]);
    });
  }

  it('closes the approvals of a run whose end was committed without its listener', async () => {
    const run = await startPlan(ctx.url, checkpointPlan);
    const approval = await pendingApproval(run.id);
    await endRunElsewhere(run.id);
    const closed = await waitFor(async () => {
      const got = await http('GET', `${ctx.url}/api/v1/approvals/${approval.id}`);
      return got.body.status === 'cancelled' ? got.body : undefined;
    }, { what: `approval ${approval.id} cancelled by the consumer` });
    expect(closed).toMatchObject({ status: 'cancelled', decision: null });
    const cursor = await ctx.database.db.query<{ position: string }>(
      `select position from event_consumer_cursors where name = 'approvals.close-on-run-end'`,
    );
    expect(cursor.rows[0]?.position).toMatch(/^\d+\.\d+$/);
  });

  it('answers 409 and stores no decision when the run ended before the decision', async () => {
    const run = await startPlan(ctx.url, checkpointPlan);
    const approval = await pendingApproval(run.id);
    await endRunElsewhere(run.id);
    const answer = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' });
    expect(answer.status).toBe(409);
    const stored = (await http('GET', `${ctx.url}/api/v1/approvals/${approval.id}`)).body;
    expect(stored).toMatchObject({ status: 'cancelled', decision: null, decidedBy: null });
    const events = await ctx.database.db.query<{ type: string }>(
      `select type from orchestration_events where run_id = $1::uuid and type like 'approval.%' order by seq`,
      [run.id],
    );
    expect(events.rows.map((e) => e.type)).toEqual(['approval.requested']);
  });
});
