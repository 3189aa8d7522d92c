import type { Database } from '@baton/db';
import { testDatabaseKinds, expectWithinBound } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { Random } from './support/hostile-values.js';
import { nextRequest, type FuzzFixtures } from './support/fuzz-requests.js';
import { rawRequest, type RawRequest } from './support/raw-http.js';

/**
 * The hostile-input fuzz test: a few thousand seeded requests over every route of the access
 * policy and every A2A JSON-RPC method, with NUL bytes, lone surrogates, deep nesting,
 * `__proto__`, wrong types, huge values, bad UTF-8 and YAML bombs. No answer may be a 5xx,
 * `/health` must keep answering quickly throughout, and the database invariants must hold
 * afterwards. Replay a failure with FUZZ_SEED=<seed>; FUZZ_COUNT raises the count.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 30_000);
/** Coverage, not speed: past the budget it goes on until this many were sent (a loaded machine is slow). */
const MIN_SENT = Math.min(COUNT, 1000);
const HARD_STOP_MS = 150_000;
const WORKERS = 6;
const TOKEN = 'fuzz-admin-token-0123456789abcdef';
/** /health is answered without the database: a slow answer means a blocked event loop. */
const MAX_HEALTH_MS = 2_000;

describe.each(testDatabaseKinds())('hostile input on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: TOKEN, BATON_POLL_INTERVAL_MS: '200' });
  const auth = { authorization: `Bearer ${TOKEN}` };

  async function fixtures(): Promise<FuzzFixtures> {
    const definition = {
      name: 'fuzz-fixture',
      version: '1',
      steps: [
        { id: 'first', agent: 'builtin:echo', input: { a: 1 } },
        { id: 'review', type: 'checkpoint', depends_on: ['first'], checkpoint: { prompt: 'ok?', allow_edit: true } },
      ],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, definition, auth)).status).toBe(201);
    const runs = await Promise.all(
      [1, 2].map(() => http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'fuzz-fixture' }, input: {} }, auth)),
    );
    const agent = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'fuzz-fixture-agent', kind: 'http', url: 'http://127.0.0.1:9/' }, auth);
    const webhook = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['run.completed'] }, auth);
    const token = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'fuzz-viewer', role: 'viewer' }, auth);
    expect([agent.status, webhook.status, token.status]).toEqual([201, 201, 201]);
    let approvalIds: string[] = [];
    for (let i = 0; i < 100 && approvalIds.length === 0; i++) {
      const list = await http('GET', `${ctx.url}/api/v1/approvals?status=pending`, undefined, auth);
      approvalIds = list.body.approvals.map((a: { id: string }) => a.id);
      if (approvalIds.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const runIds = runs.map((run) => run.body.id as string);
    return {
      token: TOKEN,
      definitionName: 'fuzz-fixture',
      runIds,
      stepKeys: ['first', 'review', 'nope'],
      agentNames: ['fuzz-fixture-agent'],
      webhookIds: [webhook.body.id],
      approvalIds,
      tokenNames: ['fuzz-viewer'],
      taskIds: runIds,
    };
  }

  it('answers every hostile request with a 4xx, stays responsive and keeps the database consistent', async () => {
    const f = await fixtures();
    const port = Number(new URL(ctx.url).port);
    const random = new Random(SEED);
    const probe = healthProbe(port);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const deadline = Date.now() + BUDGET_MS;
    const hardStop = Date.now() + HARD_STOP_MS;
    let sent = 0;
    const more = () => sent < COUNT && failures.length < 20 && (Date.now() < deadline || (sent < MIN_SENT && Date.now() < hardStop));

    const worker = async (): Promise<void> => {
      while (more()) {
        const request = nextRequest(random, f);
        sent++;
        try {
          const answer = await rawRequest(port, request);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500 || answer.status === 0) failures.push(describeRequest(request, answer.head));
        } catch (error) {
          failures.push(`${describeRequest(request, '')}: ${(error as Error).message}`);
        }
      }
    };
    let health: Awaited<ReturnType<typeof probe.stop>>;
    try {
      await Promise.all(Array.from({ length: WORKERS }, worker));
    } finally {
      health = await probe.stop();
    }

    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(MIN_SENT);
    expect(health.failures).toEqual([]);
    expectWithinBound('the slowest /health answer under hostile load', health.maxMs, MAX_HEALTH_MS);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectInvariants(ctx.database.db);
    if (process.env.FUZZ_REPORT) console.log({ kind, sent, statuses: Object.fromEntries(statuses), health });
  }, HARD_STOP_MS + 60_000);
});

function describeRequest(request: RawRequest, head: string): string {
  const body = request.body === undefined ? '' : ` body=${String(request.body).slice(0, 300)}`;
  const answer = head.split('\r\n\r\n');
  return `${request.method} ${request.path.slice(0, 200)} ${JSON.stringify(request.headers)}${body}\n  -> ${answer[0]?.split('\r\n')[0]} ${answer[1]?.slice(0, 200) ?? ''}`;
}

/** GET /health every 100 ms over its own connections; the slowest answer is the loop's worst stall. */
function healthProbe(port: number): { stop(): Promise<{ maxMs: number; count: number; failures: string[] }> } {
  let running = true;
  let maxMs = 0;
  let count = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      try {
        const answer = await rawRequest(port, { method: 'GET', path: '/health' }, 20_000);
        if (answer.status !== 200) failures.push(`health answered ${answer.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
      maxMs = Math.max(maxMs, Date.now() - started);
      count++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxMs, count, failures };
    },
  };
}

/**
 * What must hold whatever was sent: every run has all its steps and its creation event, a
 * run's event seq has no gaps, no step completed twice, steps_done agrees with the steps.
 * Each check is one statement, so it reads one snapshot while the workers go on.
 */
async function expectInvariants(db: Database): Promise<void> {
  const checks: Record<string, string> = {
    'runs missing steps': `select r.id from orchestration_runs r left join orchestration_steps s on s.run_id = r.id
       group by r.id, r.steps_total having count(s.id) <> r.steps_total`,
    'runs without run.created': `select r.id from orchestration_runs r where not exists
       (select 1 from orchestration_events e where e.run_id = r.id and e.type = 'run.created')`,
    'event seq gaps': `select run_id from orchestration_events group by run_id having min(seq) <> 1 or max(seq) <> count(*)`,
    'stream counter behind': `select s.run_id from orchestration_event_streams s
       where s.last_seq <> (select coalesce(max(e.seq), 0) from orchestration_events e where e.run_id = s.run_id)`,
    'steps completed twice': `select run_id, step_key from orchestration_events where type = 'step.completed'
       group by run_id, step_key having count(*) > 1`,
    'steps_done inconsistent': `select r.id from orchestration_runs r
       where r.steps_done <> case when r.status in ('completed', 'failed', 'cancelled') then r.steps_total
         else (select count(*) from orchestration_steps s where s.run_id = r.id and s.status in ('completed', 'skipped'))::int end`,
    'definitions with a wrong step count': `select id from orchestration_definitions
       where step_count <> json_array_length(body->'steps')`,
  };
  const broken: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(checks)) {
    const { rows } = await db.query(sql);
    if (rows.length > 0) broken[name] = rows.slice(0, 5);
  }
  expect(broken).toEqual({});
}
