import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { REPO_ROOT } from './support/child-server.js';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

const REGISTRATION = 'worker-processes-registration-0123456789';
const OUT_DIR = join(REPO_ROOT, 'dist-test', 'worker');
const ENTRY = join(OUT_DIR, 'main.js');

/** A handler that leaves a marker when it starts a job; on a stalling worker it never returns. */
const HANDLER = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default async function (input, context) {
  writeFileSync(join(process.env.MARKERS, 'started-' + process.env.WORKER_NAME + '-' + context.stepKey), '');
  if (process.env.WORKER_STALL === 'true') await new Promise(() => {});
  return { by: process.env.WORKER_NAME, image: input.image };
}
`;

/**
 * Issue 15's acceptance test: two real `apps/worker` processes share a run's steps; one is
 * SIGKILLed mid-step and its step is finished by the other, exactly once.
 */
describe.each(testDatabaseKinds())('reference worker processes on %s', (kind) => {
  // A 2 s lease (1 s heartbeats): a loaded machine should not let a live node's lease run out.
  const ctx = useTestServer(kind, { BATON_NODE_REGISTRATION_TOKEN: REGISTRATION, BATON_NODE_LEASE_SECONDS: '2', BATON_POLL_INTERVAL_MS: '200' });
  const dir = mkdtempSync(join(tmpdir(), 'baton-workers-'));
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const built = spawnSync('npx', ['tsc', '-p', 'apps/worker/tsconfig.json', '--outDir', OUT_DIR], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (built.status !== 0 || !existsSync(ENTRY)) throw new Error(`building apps/worker failed:\n${built.stdout}\n${built.stderr}`);
    writeFileSync(join(dir, 'thumbnail.mjs'), HANDLER);
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'thumbnail', kind: 'worker' })).status).toBe(201);
  });
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(name: string, stall: boolean): { child: ChildProcess; logs: () => string } {
    let output = '';
    const env: NodeJS.ProcessEnv = { ...process.env, BATON_URL: ctx.url, BATON_NODE_REGISTRATION_TOKEN: REGISTRATION, WORKER_HANDLERS: dir, WORKER_NAME: name, MARKERS: dir, WORKER_STALL: String(stall) };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    children.push(child);
    return { child, logs: () => output };
  }

  it('finishes the step of a SIGKILLed worker on the other worker, exactly once', async () => {
    const a = startWorker('a', true);
    await waitFor(async () => a.logs().includes('configuration 1 applied') || undefined, { what: `worker a registered: ${a.logs()}`, timeoutMs: 60_000 });
    const run = await startPlan(ctx.url, {
      orchestration: { execution: { concurrency: { maxParallel: 2 } } },
      steps: [
        { id: 'small', agent: 'thumbnail', input: { image: 'small.png' } },
        { id: 'large', agent: 'thumbnail', input: { image: 'large.png' } },
      ],
    });
    // a takes one step and stalls in it; then b joins and takes the other.
    const stalled = await waitFor(async () => ['small', 'large'].find((key) => existsSync(join(dir, `started-a-${key}`))), { what: 'worker a started a step' });
    const b = startWorker('b', false);
    await waitFor(async () => b.logs().includes('completed') || undefined, { what: `worker b completed a job: ${b.logs()}`, timeoutMs: 60_000 });

    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    const done = await waitForRun(ctx.url, run.id, undefined, 30_000);
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ small: { by: 'b', image: 'small.png' }, large: { by: 'b', image: 'large.png' } });
    expect(done.steps.map((step: any) => [step.id, step.status, step.attempt])).toEqual([
      ['small', 'completed', 1],
      ['large', 'completed', 1],
    ]);
    expect(existsSync(join(dir, `started-b-${stalled}`))).toBe(true);
    b.child.kill('SIGTERM');
    await new Promise((resolve) => b.child.once('exit', resolve));
    // The job a held was leased again (by b) and completed once: one job per step, each completed.
    const jobs = await ctx.database.db.query<{ status: string; leases: number }>(
      `select status, leases from worker_jobs where context->>'runId' = $1::text order by leases`,
      [run.id],
    );
    expect(jobs.rows.map((job) => job.status)).toEqual(['completed', 'completed']);
    expect(jobs.rows[1]!.leases).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
